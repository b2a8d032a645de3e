"""A small STOMP 1.1 client: enough to subscribe on one broker and send on another."""

from __future__ import annotations

import contextlib
import socket
import time


class Stomp:
    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""
        self._send("CONNECT", {"accept-version": "1.1", "host": "localhost", "heart-beat": "0,0"})
        frame = self._read(timeout)
        if frame is None or frame[0] != "CONNECTED":
            raise ConnectionError(f"STOMP CONNECT refused on port {port}: {frame}")

    def subscribe(self, queue: str) -> None:
        self._send("SUBSCRIBE", {"destination": f"/queue/{queue}", "id": queue, "ack": "auto"})

    def send(self, queue: str, body: str) -> None:
        self._send("SEND", {"destination": f"/queue/{queue}", "content-type": "text/plain"}, body)

    def receive(self, timeout: float) -> str | None:
        """The next message body, or None when none arrives in `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = self._read(max(0.05, deadline - time.monotonic()))
            if frame and frame[0] == "MESSAGE":
                return frame[2]
        return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._send("DISCONNECT", {})
        self.sock.close()

    def __enter__(self) -> Stomp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, command: str, headers: dict[str, str], body: str = "") -> None:
        lines = [command, *(f"{key}:{value}" for key, value in headers.items()), "", body]
        self.sock.sendall("\n".join(lines).encode() + b"\x00")

    def _read(self, timeout: float) -> tuple[str, dict[str, str], str] | None:
        self.sock.settimeout(timeout)
        while b"\x00" not in self.buffer:
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return None
            if not chunk:
                return None
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\x00", 1)
        text = raw.decode().lstrip("\r\n")
        head, _, body = text.partition("\n\n")
        command, *header_lines = head.split("\n")
        headers = dict(line.split(":", 1) for line in header_lines if ":" in line)
        return command, headers, body
