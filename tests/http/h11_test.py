#!/usr/bin/python3
"""The HTTP example's responses, parsed by h11 as a strict client.

Usage: h11_test.py PATH/TO/http_server PATH/TO/examples/http_server/README.md

Every kind of response the server makes is read by h11 (Debian's
python3-h11): 1xx, 200, 206 (one range and multipart/byteranges), 301, 304,
403, 404, 405, 408, 412, 416, HEAD answers, and every refusal of the README's
table. h11 raises on any protocol error (bad framing, a body on a 304 or a
HEAD answer, a malformed field); the test then fails. Requests are sent as raw
bytes (the refusals are malformed on purpose); h11 is told the method of each
so that it frames the answers as a client must. Exits 77 if h11 is missing.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile

try:
    import h11
except ImportError:
    print("h11 not installed (apt-get install python3-h11): skipped")
    sys.exit(77)

SERVER, README = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def start(root, *extra):
    proc = subprocess.Popen([SERVER, "--port", "0", "--root", root, "--quiet", *extra],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    port = int(re.search(r"listening on [^ ]*:(\d+) ", line).group(1))
    return proc, port


def exchange(port, raw, methods):
    """Sends `raw`, then reads one response per method in `methods` with h11.

    Returns a list of (response, body, informational responses) and whether
    the server closed the connection after the last one."""
    conn = h11.Connection(our_role=h11.CLIENT)
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(raw)
    results = []
    for i, method in enumerate(methods):
        if i:
            conn.start_next_cycle()
        # h11 only sends HTTP/1.1; the raw bytes say which version was sent.
        conn.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
        conn.send(h11.EndOfMessage())
        response, body, interim = None, b"", []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = sock.recv(65536)
                conn.receive_data(data)  # b"" is EOF: h11 checks the framing allows it
                continue
            if isinstance(event, h11.InformationalResponse):
                interim.append(event)
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise h11.RemoteProtocolError("closed before the response ended")
        results.append((response, body, interim))
    closed = conn.their_state is h11.MUST_CLOSE
    if closed:
        # The server closes after such a response: the rest of the stream is EOF.
        sock.settimeout(10)
        rest = sock.recv(65536)
        check(rest == b"", "bytes after a closing response: %r" % rest[:100])
    sock.close()
    return results, closed


def header(response, name):
    for k, v in response.headers:
        if k.decode().lower() == name:
            return v.decode()
    return None


def run_case(port, what, raw, methods, statuses):
    try:
        results, closed = exchange(port, raw, methods)
    except h11.ProtocolError as e:
        check(False, "%s: h11 refused the answer: %s" % (what, e))
        return None, None
    got = [r.status_code for r, _, _ in results]
    check(got == statuses, "%s: statuses %s, expected %s" % (what, got, statuses))
    return results, closed


def readme_rows():
    text = open(README, encoding="utf-8").read()
    table = text.split("<!-- refusals:begin -->")[1].split("<!-- refusals:end -->")[0]
    for line in table.splitlines():
        m = re.match(r"\| (.*?) \| `(.*)` \| (\d{3})", line)
        if not m:
            continue
        example = m.group(2)
        example = re.sub(r"\{(\d+)\*(.)\}", lambda r: r.group(2) * int(r.group(1)), example)
        example = example.replace("\\r", "\r").replace("\\n", "\n").replace("\\0", "\0")
        yield m.group(1), example.encode("latin-1"), int(m.group(3))


def main():
    work = tempfile.mkdtemp(prefix="asynchat-h11-")
    with open(os.path.join(work, "a.txt"), "w") as f:
        f.write("hello file\n")
    with open(os.path.join(work, "one.bin"), "wb") as f:
        f.write(bytes(range(256)) * 4)
    os.mkdir(os.path.join(work, "sub"))
    os.mkdir(os.path.join(work, "list"))
    with open(os.path.join(work, "sub", "index.html"), "w") as f:
        f.write("<h1>sub</h1>\n")
    proc, port = start(work)
    quick, quick_port = start(work, "--timeout", "1")
    try:
        H = b"Host: x\r\n"
        r, _ = run_case(port, "GET a file", b"GET /a.txt HTTP/1.1\r\n" + H + b"\r\n", ["GET"], [200])
        etag = header(r[0][0], "etag") if r else '"none"'
        modified = header(r[0][0], "last-modified") if r else "none"
        check(r and r[0][1] == b"hello file\n", "GET a file: body")
        run_case(port, "HEAD a file", b"HEAD /a.txt HTTP/1.1\r\n" + H + b"\r\n", ["HEAD"], [200])
        run_case(port, "304 by If-None-Match",
                 b"GET /a.txt HTTP/1.1\r\n" + H + b"If-None-Match: " + etag.encode() + b"\r\n\r\n", ["GET"], [304])
        run_case(port, "304 to HEAD by If-Modified-Since",
                 b"HEAD /a.txt HTTP/1.1\r\n" + H + b"If-Modified-Since: " + modified.encode() + b"\r\n\r\n",
                 ["HEAD"], [304])
        run_case(port, "412", b"GET /a.txt HTTP/1.1\r\n" + H + b"If-Match: \"no\"\r\n\r\n", ["GET"], [412])
        r, _ = run_case(port, "206 one range", b"GET /one.bin HTTP/1.1\r\n" + H + b"Range: bytes=10-19\r\n\r\n",
                        ["GET"], [206])
        check(r and r[0][1] == bytes(range(10, 20)), "206 one range: body")
        r, _ = run_case(port, "206 multipart",
                        b"GET /one.bin HTTP/1.1\r\n" + H + b"Range: bytes=0-1,100-101\r\n\r\n", ["GET"], [206])
        if r:
            ctype = header(r[0][0], "content-type")
            boundary = ctype.split("boundary=")[1].encode()
            body = r[0][1]
            check(body.startswith(b"--" + boundary + b"\r\n") and body.endswith(b"\r\n--" + boundary + b"--\r\n"),
                  "multipart: framing")
            check(b"Content-Range: bytes 100-101/1024\r\n\r\nde" in body, "multipart: second part")
        run_case(port, "HEAD ignores Range (RFC 9110 section 14.2)",
                 b"HEAD /one.bin HTTP/1.1\r\n" + H + b"Range: bytes=0-1,4-5\r\n\r\n", ["HEAD"], [200])
        run_case(port, "416", b"GET /one.bin HTTP/1.1\r\n" + H + b"Range: bytes=5000-\r\n\r\n", ["GET"], [416])
        run_case(port, "301 keeps the query", b"GET //sub?q=1 HTTP/1.1\r\n" + H + b"\r\n", ["GET"], [301])
        run_case(port, "404, 403", b"GET /missing HTTP/1.1\r\n" + H + b"\r\nGET /../a.txt HTTP/1.1\r\n" + H + b"\r\n",
                 ["GET", "GET"], [404, 403])
        run_case(port, "405 keep-alive", b"GET /echo HTTP/1.1\r\n" + H + b"\r\n", ["GET"], [405])
        r, _ = run_case(port, "100 Continue, then 200",
                        b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 2\r\nExpect: 100-continue\r\n\r\nok",
                        ["POST"], [200])
        check(r and [i.status_code for i in r[0][2]] == [100], "100 Continue seen as interim")
        r, _ = run_case(port, "HTTP/1.0 with Expect: no 100",
                        b"POST /echo HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok",
                        ["POST"], [200])
        check(r and r[0][2] == [], "no interim response to HTTP/1.0")
        over = b"GET /a.txt HTTP/1.1\r\n" + H + b"X: " + b"a" * 9000 + b"\r\n\r\n"
        _, closed = run_case(port, "HEAD, then a 431 with its body", b"HEAD /a.txt HTTP/1.1\r\n" + H + b"\r\n" + over,
                             ["HEAD", "GET"], [200, 431])
        check(closed, "431 closes")
        run_case(port, "directory index", b"GET /list/ HTTP/1.1\r\n" + H + b"\r\n", ["GET"], [200])
        mix = (b"GET /a.txt HTTP/1.1\r\n" + H + b"\r\nHEAD /one.bin HTTP/1.1\r\n" + H + b"\r\n"
               b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
               b"GET /one.bin HTTP/1.1\r\n" + H + b"Range: bytes=-3\r\n\r\n"
               b"GET /a.txt HTTP/1.1\r\n" + H + b"If-None-Match: *\r\n\r\n"
               b"GET /a.txt HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
        _, closed = run_case(port, "pipelined mix", mix, ["GET", "HEAD", "POST", "GET", "GET", "GET"],
                             [200, 200, 200, 206, 304, 200])
        check(closed, "pipelined mix: closed after Connection: close")
        _, closed = run_case(quick_port, "408 for a stalled head", b"GET /a.txt HTTP/1.1\r\n", ["GET"], [408])
        check(closed, "408 closes")
        _, closed = run_case(quick_port, "408 for a stalled body",
                             b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 9\r\n\r\nabc", ["POST"], [408])
        rows = list(readme_rows())
        check(len(rows) >= 30, "the README's refusal table was found")
        for what, raw, status in rows:
            method = raw.split(b" ", 1)[0].decode("latin-1")
            method = method if method in ("GET", "HEAD", "POST", "PUT", "CONNECT", "OPTIONS", "BREW") else "GET"
            _, closed = run_case(port, "README: " + what, raw, [method], [status])
            check(closed is not False, "README: %s: closes" % what)
    finally:
        for p in (proc, quick):
            p.terminate()
            p.wait()
        subprocess.run(["rm", "-rf", work])
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("h11: every response parsed, all checks passed")


main()
