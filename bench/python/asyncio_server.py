#!/usr/bin/env python3
"""The bench protocol on asyncio (a Protocol, the fastest asyncio API)."""
import asyncio
import sys


class BenchProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buf = bytearray()
        self.bulk = 0
        self.bulk_size = 0

    def data_received(self, data):
        buf = self.buf
        buf += data
        out = []
        pos = 0
        while pos < len(buf):
            if self.bulk:
                take = min(self.bulk, len(buf) - pos)
                pos += take
                self.bulk -= take
                if not self.bulk:
                    out.append(b"OK %d\r\n" % self.bulk_size)
                continue
            nl = buf.find(b"\n", pos)
            if nl < 0:
                break
            line = bytes(buf[pos:nl + 1])
            pos = nl + 1
            if line.startswith(b"SIZE "):
                self.bulk = self.bulk_size = int(line[5:])
                if not self.bulk:
                    out.append(b"OK 0\r\n")
            else:
                out.append(line)
        del buf[:pos]
        if out:
            self.transport.write(b"".join(out))


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(BenchProtocol, "127.0.0.1",
                                      int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print("asyncio listening on 127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
