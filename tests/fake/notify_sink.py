#!/usr/bin/env python3
"""notify_sink.py: where netiquetted's escalation notices land in tests.

A minimal SMTP server (enough of RFC 5321 for libcurl: EHLO/HELO, MAIL,
RCPT, DATA, RSET, NOOP, QUIT) and an HTTP webhook receiver, both on
loopback, standard library only.  Everything received is kept and served
as JSON:

  GET  /_sink/messages   {"mails": [{"from", "to": [...], "data"}],
                          "webhooks": [{"path", "headers", "body"}]}
  POST /anything        a webhook delivery (recorded, answered 204)

Usage: notify_sink.py   prints "LISTENING <smtp-port> <http-port>"
"""

import json
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
MAILS = []
WEBHOOKS = []


class SMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.reply("220 sink ESMTP ready")
        sender, rcpts = None, []
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-sink\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")
            elif verb == "HELO":
                self.reply("250 sink")
            elif verb == "MAIL":
                sender, rcpts = line.split(":", 1)[1].strip().split()[0].strip("<>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(line.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with .")
                data = []
                while True:
                    l = self.rfile.readline(1 << 20)
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    if l.startswith(b".."):
                        l = l[1:]
                    data.append(l)
                with LOCK:
                    MAILS.append({"from": sender, "to": rcpts,
                                  "data": b"".join(data).decode("utf-8", "replace")})
                self.reply("250 queued")
            elif verb == "RSET":
                sender, rcpts = None, []
                self.reply("250 OK")
            elif verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class HTTPHandler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        with LOCK:
            body = json.dumps({"mails": MAILS, "webhooks": WEBHOOKS}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace")
        with LOCK:
            WEBHOOKS.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(204)
        self.end_headers()


class ThreadingTCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    smtp = ThreadingTCP(("127.0.0.1", 0), SMTPHandler)
    http = ThreadingHTTPServer(("127.0.0.1", 0), HTTPHandler)
    http.daemon_threads = True
    threading.Thread(target=smtp.serve_forever, daemon=True).start()
    print("LISTENING %d %d" % (smtp.server_address[1], http.server_address[1]), flush=True)
    try:
        http.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
