import socket

import pytest


def test_a_connection_off_this_machine_fails_the_test():
    with pytest.raises(OSError, match="offline"), socket.create_connection(("192.0.2.1", 80), 1):
        pass


def test_a_name_lookup_off_this_machine_fails_the_test():
    with pytest.raises(OSError, match="offline"):
        socket.getaddrinfo("huggingface.co", 443)


def test_loopback_stays_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), 1):
            pass
