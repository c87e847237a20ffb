"""Test helper for the Python tests: a portraitd process on loopback,
plaintext or with mutual TLS, its ports read from its `serving` log line."""

import re
import subprocess
import time


class Portraitd:
    """Starts `binary` on `data_dir` with `flags`, logging to `log_path`,
    and waits until it serves (RuntimeError with its log if it exits or
    does not within 15 s). With `certs`, a directory made by
    tools/make_dev_certs.sh, it serves mutual TLS with that directory's
    certificates and access configuration; else plaintext."""

    def __init__(self, binary, data_dir, log_path, *flags, certs=None):
        self.log_path = log_path
        self.log = open(log_path, "w")
        security = ["--plaintext_loopback"] if certs is None else [
            "--tls_cert_file=%s/server.pem" % certs,
            "--tls_key_file=%s/server.key" % certs,
            "--tls_client_ca_file=%s/ca.pem" % certs,
            "--access_config=%s/access.textproto" % certs]
        self.process = subprocess.Popen(
            [binary, "--listen=127.0.0.1:0", "--data_dir=" + data_dir] +
            security + list(flags),
            stdout=self.log, stderr=subprocess.STDOUT)
        serving = None
        deadline = time.time() + 15
        while serving is None and time.time() < deadline:
            with open(log_path) as f:
                serving = re.search(r'"event":"serving","port":(\d+).*'
                                    r'"metrics_port":(\d+)', f.read())
            if serving is None:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        if serving is None:
            self.stop()
            with open(log_path) as f:
                raise RuntimeError("portraitd did not start:\n" + f.read())
        self.target = "127.0.0.1:" + serving.group(1)
        self.metrics_port = int(serving.group(2))

    def running(self):
        return self.process.poll() is None

    def stop(self):
        """SIGTERM, then waits; returns the exit status."""
        if self.running():
            self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()
        return self.process.returncode
