"""deploy/ (issue 12 §6): the proxy configuration rendered from the app's settings, its limits and exposed paths.

The rendered nginx text is parsed (a small tokenizer: blocks, directives,
arguments) and requests are routed through it the way nginx chooses a
location, so the checks are about what a client can reach, not about
strings. ``nginx -t`` runs too when nginx and openssl are installed, and
tests/test_deploy_nginx.py then runs the configuration in nginx against a stand-in app.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import streamlit.web.server.starlette.starlette_routes as st_routes
import streamlit.web.server.starlette.starlette_websocket as st_websocket
from lib import deploy, filesafety
from lib.deploy import ProxySettings, render_proxy_config

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


@dataclass
class Block:
    """One nginx directive: its name, arguments and, for a block, its children."""

    name: str
    args: list[str]
    children: list["Block"] = field(default_factory=list)

    def all(self, name: str) -> list["Block"]:
        return [child for child in self.children if child.name == name]

    def one(self, name: str) -> "Block":
        found = self.all(name)
        assert len(found) == 1, f"{name}: {len(found)} fois dans {self.name} {' '.join(self.args)}"
        return found[0]

    def values(self, name: str) -> list[str]:
        return [" ".join(child.args) for child in self.all(name)]


def parse_nginx(text: str) -> Block:
    """nginx's syntax: ``name args;`` or ``name args { … }``, ``#`` comments, quoted arguments."""
    tokens: list[str] = []
    for line in text.splitlines():
        word, quote = "", None
        for char in line:
            if quote:
                word += char
                if char == quote:
                    quote = None
            elif char == "#":
                break
            elif char in "\"'":
                word, quote = word + char, char
            elif char in "{};":
                tokens += [word, char] if word else [char]
                word = ""
            elif char.isspace():
                if word:
                    tokens.append(word)
                word = ""
            else:
                word += char
        if word:
            tokens.append(word)
    root, stack, current = Block("main", []), [], []
    parent = root
    for token in tokens:
        if token == ";":
            parent.children.append(Block(current[0], current[1:]))
            current = []
        elif token == "{":
            block = Block(current[0], current[1:])
            parent.children.append(block)
            stack.append(parent)
            parent, current = block, []
        elif token == "}":
            assert not current, f"directive sans « ; » : {current}"
            parent = stack.pop()
        else:
            current.append(token)
    assert not stack and not current, "accolades ou « ; » manquants"
    return root


def route(server: Block, path: str) -> Block:
    """The location nginx picks for ``path``.

    An exact match; else the longest prefix if marked ``^~``; else the first
    regular expression that matches, in order; else that longest prefix.
    """
    locations = server.all("location")
    exact = [loc for loc in locations if loc.args[0] == "=" and loc.args[1] == path]
    if exact:
        return exact[0]
    prefixes = [loc for loc in locations if loc.args[0] in ("^~", loc.args[-1]) and path.startswith(loc.args[-1])]
    longest = max(prefixes, key=lambda loc: len(loc.args[-1]))
    if longest.args[0] == "^~":
        return longest
    regexes = [loc for loc in locations if loc.args[0] in ("~", "~*")]
    for loc in regexes:
        if re.search(loc.args[1], path, re.IGNORECASE if loc.args[0] == "~*" else 0):
            return loc
    return longest


def reaches_app(location: Block) -> bool:
    return bool(location.all("proxy_pass")) and not location.all("return")


@pytest.fixture(scope="module")
def rendered() -> tuple[Block, Block, Block]:
    """The rendered configuration: (whole, HTTPS server, HTTP server)."""
    config = parse_nginx(render_proxy_config(ProxySettings(server_name="passerelles.example.org")))
    servers = config.all("server")
    https = [s for s in servers if any("443" in v for v in s.values("listen"))]
    http = [s for s in servers if s not in https]
    assert len(https) == 1 and len(http) == 1
    return config, https[0], http[0]


def config_upload_mb() -> int:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]


def test_the_upload_body_limit_is_the_apps_upload_limit(rendered):
    _config, https, _http = rendered
    upload = route(https, "/_stcore/upload_file/SESSION/FILE")
    # nginx's "m" is 1024 × 1024 bytes, Streamlit's MB too; Streamlit allows 1 MB of multipart envelope more.
    assert upload.values("client_max_body_size") == [f"{config_upload_mb() + 1}m"]
    assert https.values("client_max_body_size") == ["1k"]  # no body anywhere else
    assert upload.one("limit_except").args == ["PUT", "DELETE"]
    other = parse_nginx(render_proxy_config(ProxySettings(server_name="passerelles.example.org", upload_mb=120)))
    upload = route([s for s in other.all("server") if s.all("ssl_certificate")][0], "/_stcore/upload_file/a/b")
    assert upload.values("client_max_body_size") == ["121m"]


def test_login_and_upload_paths_are_rate_limited_per_client(rendered):
    config, https, _http = rendered
    zones = {v.split("zone=")[1].split(":")[0]: v for v in config.values("limit_req_zone")}
    assert all(v.startswith("$binary_remote_addr ") for v in zones.values())
    stream, upload = route(https, "/_stcore/stream"), route(https, "/_stcore/upload_file/s/f")
    assert stream.one("limit_req").args[0] == "zone=passerelles_stream"
    assert upload.one("limit_req").args[0] == "zone=passerelles_upload"
    per_minute = {name: int(v.split("rate=")[1].split("r/m")[0]) for name, v in zones.items() if "r/m" in v}
    assert per_minute["passerelles_stream"] <= 30 and per_minute["passerelles_upload"] <= 10
    for location in https.all("location"):
        if reaches_app(location):
            assert location.all("limit_req"), f"location {' '.join(location.args)} sans limite de débit"



def test_open_sessions_are_counted_apart_from_requests_in_flight(rendered):
    """The session limit counts open sessions only: in one zone with every request, a session opened while
    the page's files still load (~120 at once, more than 10 on a slow link) was refused with 429 (seen behind
    nginx 1.22 with 12 downloads in flight: README, « Mettre en ligne »)."""
    config, https, _http = rendered
    declared = {v.split("zone=")[1].split(":")[0] for v in config.values("limit_conn_zone")}
    stream = route(https, "/_stcore/stream")
    limits = dict(v.split() for v in stream.values("limit_conn"))
    assert set(limits) <= declared
    sessions = str(ProxySettings(server_name="passerelles.example.org").sessions_per_client)
    session_zones = [zone for zone, limit in limits.items() if limit == sessions]
    assert len(session_zones) == 1, limits
    elsewhere = [v.split()[0] for v in https.values("limit_conn")]
    elsewhere += [v.split()[0] for loc in https.all("location") if loc is not stream for v in loc.values("limit_conn")]
    assert session_zones[0] not in elsewhere  # nothing but sessions in that zone
    # limit_conn in a location replaces the server's: the session still counts among the requests in flight.
    assert set(https.values("limit_conn")) <= set(stream.values("limit_conn"))

# What Streamlit 1.67 serves (web/server/starlette/*.py), and whether the proxy lets it through.
STREAMLIT_PATHS = {
    f"/{st_websocket._ROUTE_WEBSOCKET_STREAM}": True,
    f"/{st_routes.ROUTE_HEALTH}": True,
    f"/{st_routes.ROUTE_HOST_CONFIG}": True,
    f"/{st_routes.BASE_ROUTE_UPLOAD_FILE}/session/fichier": True,
    f"/{st_routes.BASE_ROUTE_MEDIA}/abc.png": True,
    f"/{st_routes.BASE_ROUTE_COMPONENT}/streamlit_folium.st_folium/index.html": True,
    f"/{st_routes.BASE_ROUTE_STATIC}/js/index.js": True,
    f"/{st_routes.BASE_ROUTE_APP_STATIC}/node_modules/leaflet/dist/leaflet.js": True,
    "/": True,
    "/Impact": True,
    f"/{st_routes.ROUTE_METRICS}": False,
    f"/{st_routes.ROUTE_SCRIPT_HEALTH}": False,
    "/_stcore/bidi-components/x/index.js": False,
    "/_stcore/agent/interact": False,
    "/_stcore/agent/mcp": False,
    "/_stcore/agent/openapi.json": False,
    "/_stcore/anything-new": False,
    "/auth/login": False,
    # Streamlit answers its core paths under any page's path too; the proxy refuses them all.
    "/Carte/_stcore/metrics": False,
    "/Carte/_stcore/stream": False,
    "/Carte/_stcore/health": False,
    "/Carte/_stcore/upload_file/session/fichier": False,
    "/oauth2callback": False,
}


@pytest.mark.parametrize("path, exposed", STREAMLIT_PATHS.items())
def test_only_the_paths_the_app_needs_reach_it(rendered, path, exposed):
    _config, https, http = rendered
    assert reaches_app(route(https, path)) is exposed
    assert not reaches_app(route(http, path))  # plain HTTP only redirects


def test_https_websocket_upgrade_and_the_clients_address(rendered):
    _config, https, http = rendered
    assert all("ssl" in v for v in https.values("listen"))
    assert https.values("ssl_certificate") == ["/etc/letsencrypt/live/passerelles.example.org/fullchain.pem"]
    assert "TLSv1" not in https.one("ssl_protocols").args
    assert route(http, "/Impact").values("return") == ["301 https://$host$request_uri"]
    stream = route(https, "/_stcore/stream")
    headers = dict(v.split(" ", 1) for v in stream.values("proxy_set_header"))
    assert headers["Upgrade"] == "$http_upgrade" and headers["Connection"] == "$connection_upgrade"
    assert headers["X-Forwarded-For"] == "$remote_addr"  # set, not appended: a client cannot forge it
    assert dict(v.split(" ", 1) for v in https.values("proxy_set_header"))["X-Forwarded-For"] == "$remote_addr"
    assert stream.values("proxy_http_version") == [] and https.values("proxy_http_version") == ["1.1"]


def test_a_bad_server_name_or_placeholder_is_refused():
    with pytest.raises(ValueError, match="nom de serveur invalide"):
        render_proxy_config(ProxySettings(server_name="exemple.org; include /etc/passwd"))
    with pytest.raises(ValueError, match="inconnu"):
        render_proxy_config(ProxySettings(server_name="exemple.org"), template="server_name {{nom}};")


def test_the_command_writes_the_configuration(tmp_path, capsys):
    output = tmp_path / "passerelles.conf"
    assert deploy.main(["--server-name", "passerelles.example.org", "-o", str(output)]) == 0
    assert f"{filesafety.MAX_UPLOAD_MB} Mo" in capsys.readouterr().out
    assert f"client_max_body_size {config_upload_mb() + 1}m;" in output.read_text()



def test_step_2_needs_python_3_11_alone(tmp_path):
    """README step 2 runs on the server with its own python3.11, no venv: the standard library must do."""
    output = tmp_path / "passerelles.conf"
    run = subprocess.run([sys.executable, "-S", "-m", "lib.deploy", "--server-name", "passerelles.example.org",
                          "-o", str(output)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert output.read_text() == render_proxy_config(ProxySettings(server_name="passerelles.example.org"))

@pytest.mark.skipif(not (shutil.which("nginx") and shutil.which("openssl")), reason="nginx ou openssl absent")
def test_nginx_accepts_the_rendered_configuration(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=passerelles.example.org", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    site = render_proxy_config(ProxySettings(server_name="passerelles.example.org", upstream="127.0.0.1:8501",
                                             certificate=str(cert), certificate_key=str(key)))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path}/body;\n proxy_temp_path {tmp_path}/proxy;\n"
        f" include {tmp_path}/site.conf;\n}}\n")
    run = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_compose_runs_the_app_behind_the_proxy_only():
    yaml = pytest.importorskip("yaml", reason="PyYAML absent (requirements-dev.txt)")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    app, proxy = compose["services"]["app"], compose["services"]["proxy"]
    assert "ports" not in app  # reachable through the proxy only
    assert sorted(proxy["ports"]) == ["443:443", "80:80"]
    assert app["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in proxy["volumes"]}
    assert (DEPLOY / mounts["/etc/nginx/conf.d/default.conf"]).resolve() == deploy.OUTPUT
    proxy_ip = proxy["networks"]["passerelles"]["ipv4_address"]
    assert app["environment"]["FORWARDED_ALLOW_IPS"] == proxy_ip  # the app trusts X-Forwarded-For from it only
    assert proxy["depends_on"]["app"]["condition"] == "service_healthy"


def test_the_image_is_built_as_make_run_sets_the_app_up():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install -r requirements.txt" in dockerfile
    assert "npm ci" in dockerfile and "--ignore-scripts" in dockerfile and "--ignore-scripts" in makefile
    assert "COPY static/package.json static/package-lock.json" in dockerfile
    assert "USER passerelles" in dockerfile and "/_stcore/health" in dockerfile
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {".streamlit/secrets.toml*", "data/local", ".venv"} <= set(ignored)
    # What step 1 creates beside deploy/ (data, accounts, certificates and their private keys) stays out of
    # the build context, as it stays out of git.
    gitignore = (ROOT / ".gitignore").read_text().split()
    kept_out_of_git = [line.rstrip("/") for line in gitignore if line.startswith("deploy/")]
    assert {"deploy/donnees", "deploy/secrets", "deploy/letsencrypt"} <= set(kept_out_of_git)
    assert set(kept_out_of_git) <= set(ignored)
