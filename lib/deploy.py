"""The reverse proxy's configuration, rendered from the app's own settings (README, « Mettre en ligne »).

``python -m lib.deploy --server-name passerelles.example.org`` writes
``deploy/nginx/passerelles.conf`` from ``deploy/nginx.conf.template``. The
request-body limit of the upload path comes from ``server.maxUploadSize`` of
``.streamlit/config.toml`` (through :mod:`lib.filesafety`), so the proxy and
the app never disagree on what may be uploaded.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from lib.filesafety import MAX_UPLOAD_MB

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
OUTPUT = ROOT / "deploy" / "nginx" / "passerelles.conf"
# Streamlit accepts maxUploadSize plus 1 MB of multipart envelope (web/server/starlette/starlette_routes.py).
MULTIPART_ALLOWANCE_MB = 1
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_SERVER_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$|^localhost$")


@dataclass(frozen=True)
class ProxySettings:
    """What the proxy configuration is made of; the defaults are the ones the README explains."""

    server_name: str
    upload_mb: int = MAX_UPLOAD_MB
    upstream: str = "app:8501"
    certificate: str = ""
    certificate_key: str = ""
    http_port: int = 80
    https_port: int = 443
    # A person opens a few tabs and reloads; a login robot opens a session per guess.
    stream_rate: str = "10r/m"
    stream_burst: int = 10
    sessions_per_client: int = 10
    # An import is a handful of files a minute at most.
    upload_rate: str = "6r/m"
    upload_burst: int = 3
    # A first page load fetches ~120 files (Streamlit's frontend is split into ~110 scripts), at once.
    page_rate: str = "30r/s"
    page_burst: int = 300
    # nginx counts every HTTP/2 request in flight as a connection: a page load has ~120 at once.
    connections_per_client: int = 256

    @property
    def body_limit(self) -> str:
        """nginx's ``client_max_body_size`` for uploads, in nginx's ``m`` (1024 × 1024 bytes, Streamlit's MB)."""
        return f"{self.upload_mb + MULTIPART_ALLOWANCE_MB}m"


def render_proxy_config(settings: ProxySettings, template: str | None = None) -> str:
    """The nginx configuration for ``settings`` (every ``{{name}}`` of the template filled in).

    Raises:
        ValueError: a server name that is not a host name, or a placeholder the settings do not fill.
    """
    if not _SERVER_NAME.match(settings.server_name):
        raise ValueError(f"nom de serveur invalide : « {settings.server_name[:60]} » (attendu p. ex. "
                         "passerelles.example.org)")
    values = {key: str(value) for key, value in asdict(settings).items()}
    values["body_limit"] = settings.body_limit
    live = f"/etc/letsencrypt/live/{settings.server_name}"
    values["certificate"] = settings.certificate or f"{live}/fullchain.pem"
    values["certificate_key"] = settings.certificate_key or f"{live}/privkey.pem"
    text = TEMPLATE.read_text(encoding="utf-8") if template is None else template
    missing = sorted({name for name in _PLACEHOLDER.findall(text) if name not in values})
    if missing:
        raise ValueError(f"paramètre(s) inconnu(s) dans le modèle : {', '.join(missing)}")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.deploy",
                                     description="Écrit la configuration nginx de Passerelles (deploy/nginx/).")
    parser.add_argument("--server-name", required=True, help="nom du site, p. ex. passerelles.example.org")
    parser.add_argument("--upstream", default="app:8501", help="adresse de l'application vue du proxy")
    parser.add_argument("--certificate", default="", help="certificat (défaut : celui de Let's Encrypt)")
    parser.add_argument("--certificate-key", default="", help="clé du certificat")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    try:
        text = render_proxy_config(ProxySettings(server_name=args.server_name, upstream=args.upstream,
                                                 certificate=args.certificate,
                                                 certificate_key=args.certificate_key))
    except ValueError as err:
        print(f"Erreur : {err}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"Configuration écrite : {args.output} (envoi de fichiers limité à {MAX_UPLOAD_MB} Mo, "
          "comme server.maxUploadSize)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
