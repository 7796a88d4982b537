"""The web dashboard: server-rendered pages at `/` and `/ui/...` over the same store the `/v1`
API reads, plus one plain JavaScript file that follows the SSE event stream and sends every
action (apply, diff, delete, sync) through `/v1`, as the CLI does.

`session` makes and checks the TCP login cookie and its CSRF token (used by `api.server`);
`guard` refuses cross-site writes on every listener and sets the pages' security headers;
`rows` turns resources into table rows (pure); `views` serves the pages and fragments. The
templates and static files are package data (pyproject), so the wheel serves them.
"""
