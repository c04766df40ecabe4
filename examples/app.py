"""The README tour's workload: reads its own source, sends a checksum of it over an AF_UNIX socket
pair from a second thread, and prints what it did. Only the Python standard library."""
import socket
import threading

with open(__file__, "rb") as f:
    data = f.read()
a, b = socket.socketpair(socket.AF_UNIX)
sender = threading.Thread(target=lambda: b.sendall(str(sum(data) % 65521).encode()))
sender.start()
checksum = a.recv(16).decode()
sender.join()
print(f"app: read {len(data)} bytes, checksum {checksum}, over an AF_UNIX socket pair")
