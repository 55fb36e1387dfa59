// A real OpenID provider (the npm package oidc-provider) for the test suite, on loopback.
//
//   node provider.mjs CONFIG.json
//
// CONFIG: { "port", "issuer", "clients": [...], "accounts": "ACCOUNTS.json", "idTokenSeconds" }
// ACCOUNTS maps a login to the claims of that account. It is read again on every sign-in, so a
// test can change an account's claims (email_verified false, tid, xms_edov...) while it runs.
// The login form is oidc-provider's own development form (any password is accepted); consent
// is given for the client on first sign-in, as an organisation does for its own applications.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = () => JSON.parse(readFileSync(config.accounts, 'utf8'));

const provider = new Provider(config.issuer, {
  clients: config.clients,
  async findAccount(ctx, id) {
    const claims = accounts()[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { ...claims, sub: id }; } };
  },
  claims: {
    openid: ['sub', 'tid', 'xms_edov'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
  },
  // The claims asked for by scope go into the ID token itself, as Entra ID and CIS2 do.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  ttl: { IdToken: config.idTokenSeconds || 3600 },
  cookies: { keys: ['imroc-test-provider-cookies'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.listen(config.port, '127.0.0.1', () => console.log(`listening ${config.issuer}`));
