#!/usr/bin/env python3
"""The SMTP example against clients nobody here wrote: Python's smtplib (plain
and STARTTLS), plus raw-socket cases for pipelining, bad commands, limits and
plaintext injected after STARTTLS.

    smtp_test.py SMTP_SERVER TLS_DIR
"""
import os
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

SERVER, TLS_DIR = sys.argv[1], sys.argv[2]
MAX_SIZE = 20000


class SmtpServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="smtp-test-")
        cls.proc = subprocess.Popen(
            [SERVER, "--port", "0", "--dir", cls.dir, "--max-size", str(MAX_SIZE),
             "--cert", os.path.join(TLS_DIR, "cert.pem"), "--key", os.path.join(TLS_DIR, "key.pem")],
            stdout=subprocess.PIPE, text=True)
        line = cls.proc.stdout.readline()  # "smtp_server listening on 127.0.0.1:PORT (...)"
        cls.port = int(line.split()[3].rsplit(":", 1)[1])

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=10)

    def messages(self):
        names = sorted(n for n in os.listdir(self.dir) if n.endswith(".eml"))
        out = []
        for n in names:
            with open(os.path.join(self.dir, n), "rb") as f:
                out.append(f.read())
            os.unlink(os.path.join(self.dir, n))
        return out

    def raw(self, data, expect_lines):
        """Sends `data` in one write; returns the first `expect_lines` reply lines."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            f = s.makefile("rb")
            greeting = f.readline()
            self.assertTrue(greeting.startswith(b"220 "), greeting)
            s.sendall(data)
            return [f.readline().rstrip(b"\r\n") for _ in range(expect_lines)]

    def test_smtplib_plain(self):
        body = "Subject: plain\r\n\r\nhello\r\n.leading dot\r\n..two dots\r\n"
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as c:
            code, _ = c.ehlo("client.example")
            self.assertEqual(code, 250)
            self.assertTrue(c.has_extn("size"))
            self.assertTrue(c.has_extn("starttls"))
            refused = c.sendmail("a@example.org", ["b@example.org", "c@example.org"], body)
            self.assertEqual(refused, {})
        [msg] = self.messages()
        self.assertIn(b"X-MailFrom: a@example.org\r\n", msg)
        self.assertIn(b"X-RcptTo: b@example.org, c@example.org\r\n", msg)
        # smtplib stuffs the dots; the server unstuffs them: the body is as sent.
        self.assertTrue(msg.endswith(body.encode()), msg)

    def test_smtplib_starttls(self):
        context = ssl.create_default_context(cafile=os.path.join(TLS_DIR, "cert.pem"))
        # 127.0.0.1, not "localhost": a bare machine may not resolve it; the
        # certificate names the address too.
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as c:
            c.ehlo("client.example")
            code, _ = c.starttls(context=context)
            self.assertEqual(code, 220)
            self.assertIsInstance(c.sock, ssl.SSLSocket)
            c.ehlo("client.example")
            self.assertFalse(c.has_extn("starttls"))  # already secure
            c.sendmail("tls@example.org", ["b@example.org"], "Subject: tls\r\n\r\nover TLS\r\n")
        [msg] = self.messages()
        self.assertIn(b"X-MailFrom: tls@example.org", msg)
        self.assertTrue(msg.endswith(b"over TLS\r\n"))

    def test_empty_message(self):
        lines = self.raw(b"HELO x\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n.\r\nQUIT\r\n", 6)
        self.assertEqual(lines, [b"250 localhost", b"250 OK", b"250 OK",
                                 b"354 End data with <CR><LF>.<CR><LF>", b"250 OK", b"221 Bye"])
        [msg] = self.messages()
        self.assertTrue(msg.endswith(b"X-RcptTo: b@x\r\n"))

    def test_pipelined_commands_answered_in_order(self):
        lines = self.raw(b"EHLO x\r\nNOOP\r\nRSET\r\nMAIL FROM:<a@x>\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\n"
                         b"DATA\r\nline\r\n.\r\nNOOP\r\n", 13)
        self.assertEqual(lines[0], b"250-localhost")
        self.assertEqual(lines[4], b"250 HELP")
        self.assertEqual(lines[5:], [b"250 OK", b"250 OK", b"250 OK", b"503 Error: nested MAIL command",
                                     b"250 OK", b"354 End data with <CR><LF>.<CR><LF>", b"250 OK", b"250 OK"])
        self.assertEqual(len(self.messages()), 1)

    def test_bad_commands(self):
        lines = self.raw(b"MAIL FROM:<a@x>\r\nHELO\r\nHELO x\r\nRCPT TO:<b@x>\r\nMAIL FROM:nobody\r\n"
                         b"DATA\r\nFOO bar\r\n", 7)
        self.assertEqual(lines, [b"503 Error: send HELO first", b"501 Syntax: HELO hostname", b"250 localhost",
                                 b"503 Error: need MAIL command", b"501 Syntax: MAIL FROM: <address>",
                                 b"503 Error: need RCPT command", b'500 Error: command "FOO" not recognized'])

    def test_line_too_long(self):
        lines = self.raw(b"NOOP " + b"x" * 2000 + b"\r\nNOOP\r\n", 2)
        self.assertEqual(lines, [b"500 5.5.2 Error: line too long", b"250 OK"])

    def test_size_limits(self):
        declared = self.raw(b"HELO x\r\nMAIL FROM:<a@x> SIZE=%d\r\n" % (MAX_SIZE + 1), 2)
        self.assertEqual(declared[1], b"552 5.3.4 Error: message size exceeds fixed maximum message size")
        big = b"y" * 100 + b"\r\n"
        lines = self.raw(b"HELO x\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n" + big * 1000 + b".\r\nNOOP\r\n", 6)
        self.assertEqual(lines[4], b"552 5.3.4 Error: message size exceeds fixed maximum message size")
        self.assertEqual(lines[5], b"250 OK")
        self.assertEqual(self.messages(), [])

    def test_recipients_are_bounded(self):
        # RFC 5321 4.5.3.1.8: at least 100 recipients are kept; beyond the
        # limit each RCPT is answered 452 (4.5.3.1.10) instead of growing the
        # list with the client's input. The message goes to the first 100.
        rcpts = b"".join(b"RCPT TO:<r%d@x>\r\n" % i for i in range(150))
        lines = self.raw(b"HELO x\r\nMAIL FROM:<a@x>\r\n" + rcpts + b"DATA\r\nhi\r\n.\r\nQUIT\r\n", 155)
        self.assertEqual(lines[2:102], [b"250 OK"] * 100)
        self.assertEqual(lines[102:152], [b"452 4.5.3 Error: too many recipients"] * 50)
        self.assertEqual(lines[152:], [b"354 End data with <CR><LF>.<CR><LF>", b"250 OK", b"221 Bye"])
        [msg] = self.messages()
        self.assertIn(b"X-RcptTo: r0@x, ", msg)
        self.assertIn(b", r99@x\r\n", msg)
        self.assertNotIn(b"r100@x", msg)

    def test_plaintext_after_starttls_is_not_executed(self):
        # CVE-2011-0411: commands sent with STARTTLS must not run "inside" TLS.
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"EHLO x\r\n")
            while not f.readline().startswith(b"250 "):
                pass
            s.sendall(b"STARTTLS\r\nMAIL FROM:<evil@x>\r\n")
            self.assertEqual(f.readline(), b"220 2.0.0 Ready to start TLS\r\n")
            self.assertEqual(f.read(), b"")  # then the server hangs up: no "250 OK" for the injection


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
