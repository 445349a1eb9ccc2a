"""GET /ask?q=…: a question in plain words, answered from the graph (api.answers).

Programs get JSON (the default, and `format=json`): how the question was read, the rows in the
shape of GET /involving, a total where money was asked, the SPARQL that ran and a link opening it
in the editor. Browsers (`Accept: text/html`, or `format=html`) get the same as a page, with the
question box again. A question that cannot be read is a 422 with what was understood and
suggestions (a page with them, for browsers).
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.answers import answer
from api.app import StoreDep
from api.errors import ApiError
from api.html import ask_page
from api.question import EXAMPLES, MAX_QUESTION
from api.routers.queries import HTML, JSON, CatalogueDep, _media_type, json_value

router = APIRouter(tags=["entities"])

OFFERS = [JSON, HTML]


@router.get(
    "/ask",
    summary="A question in plain words: what was read, the answer, the SPARQL that ran",
    response_class=Response,
    responses={
        200: {"description": "the answer", "content": {JSON: {}, HTML: {}}},
        406: {"description": "no acceptable media type"},
        422: {"description": "the question could not be read: what was understood, suggestions"},
    },
)
async def ask(
    request: Request,
    store: StoreDep,
    catalogue: CatalogueDep,
    q: Annotated[
        str,
        Query(
            description="the question, e.g. 'What involves Frontex in Serbia?'",
            max_length=MAX_QUESTION,
        ),
    ] = "",
    output: Annotated[str | None, Query(alias="format", description="json or html")] = None,
) -> Response:
    media_type = _media_type(request.headers.get("accept"), output, OFFERS)
    headers = {"Vary": "Accept"}
    if media_type == HTML:
        if not q.strip():
            return HTMLResponse(ask_page(q, None, None, EXAMPLES), headers=headers)
        try:
            result = await answer(store, catalogue, q)
        except ApiError as error:
            if error.status != 422:
                raise
            page = ask_page(q, None, error, EXAMPLES)
            return HTMLResponse(page, status_code=422, headers=headers)
        return HTMLResponse(ask_page(q, result, None, EXAMPLES), headers=headers)
    result = await answer(store, catalogue, q)
    body = orjson.dumps(result, default=json_value)
    return Response(body, media_type=JSON, headers=headers)
