"""Evidence over JSON: attach a file or a link, list a cycle's, download or remove one."""

from typing import Annotated

from fastapi import File, Form, UploadFile
from fastapi.responses import JSONResponse, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, CycleDep, EvidenceDep
from imroc.models.evidence import EvidenceIn, EvidencePublic
from imroc.services import evidence
from imroc.web.downloads import evidence_download
from imroc.web.routing import Router

router = Router(tags=["evidence"])
FILE = {200: {"description": "The file (a link's evidence is answered with its JSON, which "
                             "holds the `url`)",
              "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                  "format": "binary"}},
                          "application/json": {"schema": {
                              "$ref": "#/components/schemas/EvidencePublic"}}}},
        413: {"description": "The file is over the size limit (IMROC_EVIDENCE_MAX_BYTES)"}}


@router.get("/cycles/{cycle_id}/evidence", response_model=list[EvidencePublic])
def list_evidence(loaded: CycleDep, session: SessionDep,
                  principal: CurrentPrincipal) -> list[EvidencePublic]:
    """The cycle's evidence, oldest first. A member who has not rated all ten challenges yet
    sees only their own rating evidence, as with the ratings themselves."""
    cycle, site = loaded
    return [evidence.public(item.evidence, cycle)
            for item in evidence.list_evidence(session, cycle=cycle, site=site,
                                               principal=principal)]


@router.post("/cycles/{cycle_id}/evidence", response_model=EvidencePublic, status_code=201,
             responses={413: FILE[413]})
def add_evidence(loaded: CycleDep, session: SessionDep, principal: CurrentPrincipal,
                 data: Annotated[EvidenceIn, Form()],
                 file: UploadFile | None = File(default=None, description=(
                     "PDF, PNG, JPEG, GIF, WebP, DOCX, XLSX, PPTX, ODT, ODS, ODP, CSV or TXT; "
                     "its kind is read from its content and must agree with its name"))
                 ) -> EvidencePublic:
    """Attach a file or a link (multipart). 409 once what it backs is frozen: ratings and
    agreed levels at sign-off, actions and the PDSA record when the cycle closes."""
    cycle, site = loaded
    upload = evidence.Upload(name=file.filename or "", stream=file.file) \
        if file is not None and (file.filename or file.size) else None
    row = evidence.add_evidence(session, cycle=cycle, site=site, data=data, upload=upload,
                                principal=principal)
    return evidence.public(row, cycle)


@router.get("/evidence/{evidence_id}", response_class=Response, responses={200: FILE[200]})
def get_evidence(loaded: EvidenceDep):
    """The file, as an attachment of the type read from its content; for a link, its JSON."""
    item, cycle, _site = loaded
    if item.kind == "link":
        return JSONResponse(evidence.public(item, cycle).model_dump(mode="json"))
    return evidence_download(evidence.stored_file(item), name=item.name,
                             media=item.content_type or "application/octet-stream")


@router.delete("/evidence/{evidence_id}", status_code=204)
def remove_evidence(loaded: EvidenceDep, session: SessionDep,
                    principal: CurrentPrincipal) -> Response:
    """Remove evidence before it is frozen (whoever added it, or the lead)."""
    item, cycle, site = loaded
    evidence.remove_evidence(session, evidence=item, cycle=cycle, site=site, principal=principal)
    return Response(status_code=204)
