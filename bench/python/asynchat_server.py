#!/usr/bin/env python3
"""The bench protocol on CPython's own asynchat (Python <= 3.11): the original."""
import socket
import sys
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import asynchat
    import asyncore


class BenchChannel(asynchat.async_chat):
    ac_in_buffer_size = 65536
    ac_out_buffer_size = 65536

    def __init__(self, sock):
        super().__init__(sock)
        self.set_terminator(b"\r\n")
        self.buf = []
        self.bulk = 0

    def collect_incoming_data(self, data):
        if not self.bulk:
            self.buf.append(data)

    def found_terminator(self):
        if self.bulk:
            self.push(b"OK %d\r\n" % self.bulk)
            self.bulk = 0
            self.set_terminator(b"\r\n")
            return
        line = b"".join(self.buf)
        self.buf = []
        if line.startswith(b"SIZE "):
            n = int(line[5:])
            if n == 0:
                self.push(b"OK 0\r\n")
            else:
                self.bulk = n
                self.set_terminator(n)
            return
        self.push(line + b"\r\n")


class Server(asyncore.dispatcher):
    def __init__(self, port):
        super().__init__()
        self.create_socket(socket.AF_INET, socket.SOCK_STREAM)
        self.set_reuse_addr()
        self.bind(("127.0.0.1", port))
        self.listen(1024)

    def handle_accepted(self, sock, addr):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        BenchChannel(sock)


s = Server(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
print("asynchat.py listening on 127.0.0.1:%d" % s.socket.getsockname()[1], flush=True)
asyncore.loop(timeout=1, use_poll=True)
