#!/usr/bin/env python3
"""NetSul Gestão API v3 simulator (per NETSUL-API.md). stdlib only."""
import json, re, sys
from http.server import HTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlsplit, parse_qs, unquote

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 18765
CHAVE = "netsul-chave-secreta-9f3a"
EMPRESA = "42"

def barcode(bank, value_cents, factor, free):
    body = f"{bank}9" + "X" + f"{factor:04d}{value_cents:010d}{free}"
    s = body.replace("X", "")
    t, w = 0, 2
    for c in reversed(s):
        t += int(c) * w; w = w + 1 if w < 9 else 2
    r = 11 - t % 11
    dv = 1 if r in (0, 10, 11) else r
    return body.replace("X", str(dv))

def crc16(s):
    crc = 0xFFFF
    for b in s.encode():
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"

def pix(key, amount, name, city, txid):
    def f(i, v): return f"{i}{len(v):02d}{v}"
    gui = f("00", "br.gov.bcb.pix") + f("01", key)
    p = (f("00", "01") + f("26", gui) + f("52", "0000") + f("53", "986") + f("54", amount)
         + f("58", "BR") + f("59", name) + f("60", city) + f("62", f("05", txid)) + "6304")
    return p + crc16(p)

ACME_BAR = barcode("237", 123450, 1420, "3381260007827136179000063")
ACME_PIX = pix("financeiro@netsul.example", "1234.50", "NETSUL PROVEDOR", "PORTO ALEGRE", "B0017")

CLIENTES = {
    "71460238001": {"codigo": 7781, "razao": "Maria Aparecida da Silva", "doc": "71460238001",
        "situacao": "A", "emails": "maria@x.com;outro@x.com", "fones": ["11987654321", "(51) 3222-1100"],
        "end": {"rua": "Rua das Flores", "num": "123", "compl": "", "bairro": "Centro",
                "municipio": "Porto Alegre", "estado": "RS", "cep": "90010000"}},
    "38491953094": {"codigo": 7790, "razao": "João Pereira", "doc": "38491953094",
        "situacao": "I", "emails": "joao.pereira@x.com", "fones": [],
        "end": {"rua": "Av. Ipiranga", "num": "50", "compl": "ap 3", "bairro": "Azenha",
                "municipio": "Porto Alegre", "estado": "RS", "cep": "90160090"}},
    "12ABC34501DE35": {"codigo": 8002, "razao": "ACME Telecom Ltda", "doc": "12ABC34501DE35",
        "situacao": "B", "emails": "contas@acme.example", "fones": ["5133334444"],
        "end": {"rua": "Rua Voluntários da Pátria", "num": "1000", "compl": "sala 2", "bairro": "Floresta",
                "municipio": "Porto Alegre", "estado": "RS", "cep": "90230010"}},
}

TITULOS = [
    {"titulo": "A-0091", "cliente": 7781, "aberto": True, "valor_original": 99.9, "valor_corrigido": "101,89",
     "acrescimos": {"juros": "0,09", "multa": "1,90"}, "emitido_em": "2026-04-01 08:00:00",
     "vence_em": "10/04/2026", "referencia": "Fibra 300",
     "cod_barras": "00191141200000099900000003128557000000100117", "pix": ""},
    {"titulo": "A-0102", "cliente": 7781, "aberto": True, "valor_original": 99.9, "valor_corrigido": "99,90",
     "acrescimos": {"juros": "0,00", "multa": "0,00"}, "emitido_em": "2026-05-01 08:00:00",
     "vence_em": "10/05/2026", "referencia": "Fibra 300 <i>(maio)</i>", "cod_barras": "", "pix": ""},
    {"titulo": "A-0077", "cliente": 7781, "aberto": False, "valor_original": 99.9, "valor_corrigido": "99,90",
     "acrescimos": {"juros": "0,00", "multa": "0,00"}, "emitido_em": "2026-03-01 08:00:00",
     "vence_em": "10/03/2026", "referencia": "Fibra 300 (pago)", "cod_barras": "", "pix": ""},
    {"titulo": "B-0017", "cliente": 8002, "aberto": True, "valor_original": 1234.5, "valor_corrigido": "1.234,50",
     "acrescimos": {"juros": "0,00", "multa": "0,00"}, "emitido_em": "2026-04-05 10:30:00",
     "vence_em": "20/04/2026", "referencia": "Link dedicado 500M",
     "cod_barras": ACME_BAR, "pix": ACME_PIX},
]

def public(t, with_cliente=False):
    d = {k: v for k, v in t.items() if k not in ("cliente", "aberto")}
    if with_cliente:
        d["cliente"] = t["cliente"]
    return d

def doc_key(s):
    return re.sub(r"[^0-9A-Z]", "", (s or "").upper())

class H(BaseHTTPRequestHandler):
    server_version = "NetSulGestao/3.4"

    def log_message(self, fmt, *a):
        sys.stderr.write("sim: " + (fmt % a) + "\n")

    def send(self, status, body, ctype):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def ok(self, dados):
        self.send(200, json.dumps({"sucesso": True, "dados": dados}, ensure_ascii=False), "application/json; charset=utf-8")

    def erro(self, msg):
        self.send(200, json.dumps({"sucesso": False, "mensagem": msg}, ensure_ascii=False), "application/json; charset=utf-8")

    def do_GET(self):
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        path = u.path
        if not path.startswith("/integracao/v3/"):
            return self.send(404, "<html><body><h1>404 Not Found</h1></body></html>", "text/html")
        if q.get("chave", [""])[0] != CHAVE:
            return self.send(403, "<html><head><title>403 Forbidden</title></head><body><h1>Acesso negado</h1><p>Chave de API inv&aacute;lida.</p></body></html>", "text/html; charset=utf-8")
        if self.headers.get("X-Empresa", "").strip() != EMPRESA:
            return self.erro("<p>Empresa <b>n&atilde;o informada</b> ou inv&aacute;lida (cabe&ccedil;alho X-Empresa)</p>")
        rest = path[len("/integracao/v3/"):]
        if rest == "clientes/busca":
            doc = doc_key(q.get("documento", [""])[0])
            c = CLIENTES.get(doc)
            return self.ok(c) if c else self.erro("Cliente não localizado")
        if rest == "financeiro/titulos":
            try:
                cli = int(q.get("cliente", [""])[0])
            except ValueError:
                return self.erro("Par&acirc;metro <b>cliente</b> inv&aacute;lido")
            abertos = q.get("abertos", ["0"])[0] == "1"
            return self.ok([public(t) for t in TITULOS if t["cliente"] == cli and (t["aberto"] or not abertos)])
        m = re.fullmatch(r"financeiro/titulos/([^/]+)(/boleto)?", rest)
        if m:
            tid = unquote(m.group(1))
            t = next((t for t in TITULOS if t["titulo"] == tid), None)
            if not t:
                return self.erro("<b>Título inexistente</b>")
            if m.group(2):
                pdf = b"%PDF-1.4\n% NetSul boleto " + tid.encode() + b"\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
                return self.send(200, pdf, "application/pdf")
            return self.ok(public(t, with_cliente=True))
        return self.send(404, "<html><body><h1>404 Not Found</h1></body></html>", "text/html")

if __name__ == "__main__":
    HTTPServer(("127.0.0.1", PORT), H).serve_forever()
