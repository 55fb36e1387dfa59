#!/usr/bin/env bash
# Refresh the committed front-end vendor assets from the exact versions pinned in
# tools/vendor/package.json + package-lock.json (npm registry only, no CDN).
#
#   bash tools/vendor/update.sh
#
# To upgrade: edit the exact versions in package.json, run `npm install --ignore-scripts` in
# tools/vendor (updates package-lock.json), then run this script and commit
# package.json, package-lock.json, static/vendor/ and tests/browser/vendor/.
# nhsuk-frontend must stay in step with the nhsuk-frontend-jinja pin in
# pyproject.toml (0.10.2 <-> 10.6.1; see that package's compatibility table).
# (--ignore-scripts: swagger-ui-dist depends on @scarf/scarf, whose install script
# sends install telemetry.)
#
# Output:
#   static/vendor/nhsuk-frontend/nhsuk-frontend.min.css   (patched, see below)
#   static/vendor/nhsuk-frontend/nhsuk-frontend.min.js    (ES module: <script type="module">)
#   static/vendor/nhsuk-frontend/assets/                  (images + manifest.json)
#   static/vendor/htmx/htmx.min.js                        (classic script)
#   static/vendor/swagger-ui/swagger-ui-bundle.js         (classic UMD script: window.SwaggerUIBundle)
#   static/vendor/swagger-ui/swagger-ui.css               (sourceMappingURL dropped)
#   static/vendor/swagger-ui/favicon-32x32.png
#   tests/browser/vendor/axe.min.js                       (classic script, tests only)
#   static/vendor/VERSIONS.txt
#
# The NHS CSS is patched so it needs nothing outside /static/vendor/:
#   - the two @font-face rules that load Frutiger from the NHS CDN are removed
#     (the font is licensed and not in the npm package; text falls back to
#     "Frutiger W01" if installed locally, else Arial / sans-serif);
#   - url(/assets/...) is rewritten to url($NHSUK_ASSETS_URL...);
#   - sourceMappingURL comments are dropped (maps are not shipped).
#
# swagger-ui: the CSS has no fonts/@import and only data: images. The JS bundle
# defaults validatorUrl to https://validator.swagger.io/validator (badge image
# fetched when the spec is loaded by a non-localhost `url`); pass
# validatorUrl: null when initialising SwaggerUIBundle to disable it.
set -euo pipefail

NHSUK_ASSETS_URL="/static/vendor/nhsuk-frontend/assets/"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
nm="$here/node_modules"

cd "$here"
npm ci --ignore-scripts --no-audit --no-fund

pkg_version() { node -p "require('$nm/$1/package.json').version"; }
nhsuk_v="$(pkg_version nhsuk-frontend)"
htmx_v="$(pkg_version htmx.org)"
axe_v="$(pkg_version axe-core)"
swagger_v="$(pkg_version swagger-ui-dist)"

nhsuk_dist="$nm/nhsuk-frontend/dist/nhsuk"
out_static="$root/static/vendor"
out_nhsuk="$out_static/nhsuk-frontend"
out_htmx="$out_static/htmx"
out_swagger="$out_static/swagger-ui"
out_axe="$root/tests/browser/vendor"

rm -rf "$out_nhsuk" "$out_htmx" "$out_swagger"
mkdir -p "$out_nhsuk" "$out_htmx" "$out_swagger" "$out_axe"

# --- nhsuk-frontend CSS ------------------------------------------------------
css_in="$nhsuk_dist/nhsuk-frontend.min.css"
css_out="$out_nhsuk/nhsuk-frontend.min.css"
fontfaces="$(grep -o '@font-face{[^}]*}' "$css_in" | wc -l)"
if [[ "$fontfaces" -ne 2 ]] || grep -o '@font-face{[^}]*}' "$css_in" | grep -vq 'https://assets\.nhs\.uk/fonts/'; then
  echo "update.sh: unexpected @font-face rules in $css_in; review the patching" >&2
  exit 1
fi
sed -E \
  -e 's#@font-face\{[^}]*\}##g' \
  -e "s#url\\(/assets/#url(${NHSUK_ASSETS_URL}#g" \
  -e 's#/\*\# sourceMappingURL=[^*]*\*/##g' \
  "$css_in" > "$css_out"
if grep -Eq 'url\((["'\'']?)(https?:)?//|url\(/assets/|@font-face|@import' "$css_out"; then
  echo "update.sh: $css_out still references external or /assets/ URLs" >&2
  exit 1
fi

# --- nhsuk-frontend JS (ES module bundle exporting initAll etc.) ---------------
sed -E 's#//\# sourceMappingURL=[^[:space:]]*$##' \
  "$nhsuk_dist/nhsuk-frontend.min.js" > "$out_nhsuk/nhsuk-frontend.min.js"

# --- nhsuk-frontend assets (favicon, icons, manifest.json) --------------------
cp -R "$nhsuk_dist/assets" "$out_nhsuk/assets"

# --- htmx + axe-core -----------------------------------------------------------
cp "$nm/htmx.org/dist/htmx.min.js" "$out_htmx/htmx.min.js"
cp "$nm/axe-core/axe.min.js" "$out_axe/axe.min.js"

# --- swagger-ui-dist (UMD bundle, CSS, favicon; no maps) -----------------------
swagger_dist="$nm/swagger-ui-dist"
sed -E 's#//\# sourceMappingURL=[^[:space:]]*$##' \
  "$swagger_dist/swagger-ui-bundle.js" > "$out_swagger/swagger-ui-bundle.js"
sed -E 's#/\*\# sourceMappingURL=[^*]*\*/##g' \
  "$swagger_dist/swagger-ui.css" > "$out_swagger/swagger-ui.css"
cp "$swagger_dist/favicon-32x32.png" "$out_swagger/favicon-32x32.png"
if grep -q 'sourceMappingURL' "$out_swagger/swagger-ui-bundle.js" "$out_swagger/swagger-ui.css"; then
  echo "update.sh: sourceMappingURL left in $out_swagger" >&2
  exit 1
fi
if grep -Eq 'url\((["'\'']?)(https?:)?//|@font-face|@import' "$out_swagger/swagger-ui.css"; then
  echo "update.sh: $out_swagger/swagger-ui.css references external URLs or fonts; review" >&2
  exit 1
fi

cat > "$out_static/VERSIONS.txt" <<VERSIONS
nhsuk-frontend@${nhsuk_v}
htmx.org@${htmx_v}
axe-core@${axe_v}
swagger-ui-dist@${swagger_v}
VERSIONS

echo "vendored: nhsuk-frontend@${nhsuk_v} htmx.org@${htmx_v} axe-core@${axe_v} swagger-ui-dist@${swagger_v}"
