"""OS-level confinement of a query worker: no network, no files outside the store, a memory cap.

Standalone on purpose (stdlib, plus ``pyseccomp`` when installed): ``_worker.py`` imports it by path and
calls :func:`confine` after its own imports and before it reads any task. A SPARQL check in front of the
engine is one gap away from SSRF (pyoxigraph evaluates ``SERVICE`` with its own HTTP client and cannot
switch it off), so the worker process itself is made unable to reach anything:

- **network namespace** (``unshare(CLONE_NEWNET)``; through a user namespace when not root): the process
  sees one loopback interface, down — nothing to connect to, every port looks the same;
- **seccomp** (libseccomp through pyseccomp): creating any socket kills the process (``SIGSYS``), so a
  disguised ``SERVICE``/``LOAD`` ends the worker instead of returning a port-dependent error, and an update
  tried in a worker that attempts one is never applied; ``io_uring`` (which bypasses syscall filters) fails;
- **Landlock** (kernel ≥ 5.13; syscalls 444–446): file access only beneath the given folders (read-only or
  read-write), TCP connect/bind denied (ABI ≥ 4), abstract Unix sockets and signals to other processes
  scoped away (ABI ≥ 6);
- **memory**: ``RLIMIT_DATA`` caps the private writable memory (heap, anonymous maps); ``RLIMIT_AS`` is not
  used because RocksDB and glibc reserve far more address space than they touch.

Each mechanism the kernel lacks is reported as a warning and the others still apply. All of them are kept
across ``fork`` (the namespace, the seccomp filter, the Landlock domain, no_new_privs, the rlimit): the query
fork server (``_worker.py``) confines itself once and every worker it forks is confined from its first
instruction.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
from collections.abc import Sequence

__all__ = ["confine", "landlock_abi", "KILLED_BY_FILTER"]

# the signal a process receives when the seccomp filter kills it
KILLED_BY_FILTER = signal.SIGSYS

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_SET_NO_NEW_PRIVS = 38
_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1

# filesystem access rights by the ABI version that introduced them
_FS_READ = 1 << 2 | 1 << 3  # READ_FILE, READ_DIR
_FS_V1 = (1 << 13) - 1  # EXECUTE … MAKE_SYM
_FS_BY_ABI = {1: _FS_V1, 2: _FS_V1 | 1 << 13, 3: _FS_V1 | 1 << 13 | 1 << 14, 5: _FS_V1 | 1 << 13 | 1 << 14 | 1 << 15}
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # the kernel struct is packed: __u64 allowed_access; __s32 parent_fd
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _syscall(*args: object) -> int:
    res: int = _libc.syscall(*args)
    if res < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return res


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock is missing or disabled."""
    try:
        return _syscall(_SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                        ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION))
    except OSError:
        return 0


def _no_new_privs() -> None:
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _network_namespace() -> None:
    """A fresh network namespace: only a loopback interface that is down. Root may unshare it directly;
    others through a new user namespace (where they hold the capability), when the kernel allows that."""
    if _libc.unshare(_CLONE_NEWNET) == 0:
        return
    first = ctypes.get_errno()
    if _libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        return
    err = ctypes.get_errno() or first
    raise OSError(err, os.strerror(err))


def _landlock(readable: list[str], writable: list[str]) -> int:
    abi = landlock_abi()
    if abi <= 0:
        raise OSError(errno.ENOSYS, "Landlock is not available in this kernel")
    fs = _FS_BY_ABI[max(v for v in _FS_BY_ABI if v <= abi)]
    attr = _RulesetAttr(fs, _NET_BIND_TCP | _NET_CONNECT_TCP if abi >= 4 else 0,
                        _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    try:
        for paths, access in ((readable, _FS_READ), (writable, fs)):
            for path in paths:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                try:
                    rule = _PathBeneathAttr(access, fd)
                    _syscall(_SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_LANDLOCK_RULE_PATH_BENEATH),
                             ctypes.byref(rule), ctypes.c_uint32(0))
                finally:
                    os.close(fd)
        _syscall(_SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return abi


def _seccomp() -> None:
    import pyseccomp as sc  # loads libseccomp.so.2; ImportError/OSError when it is not installed

    f = sc.SyscallFilter(sc.ALLOW)
    f.add_rule(sc.KILL_PROCESS, "socket")
    f.add_rule(sc.ERRNO(errno.EPERM), "io_uring_setup")
    f.load()


def confine(*, readable: Sequence[str] = (), writable: Sequence[str] = (),
            memory_bytes: int | None = None) -> list[str]:
    """Confine this process for good (call it while it is still single-threaded). Returns one warning per
    mechanism that could not be applied; never raises for a missing kernel feature."""
    warnings: list[str] = []
    if memory_bytes:
        try:
            resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))
        except (OSError, ValueError) as e:
            warnings.append(f"memory cap not applied: {e}")
    try:
        _network_namespace()
    except OSError as e:
        warnings.append(f"network namespace not available ({e.strerror or e}); seccomp and Landlock still apply")
    try:
        _no_new_privs()
    except OSError as e:
        warnings.append(f"no_new_privs not set ({e.strerror or e}): Landlock and seccomp cannot apply")
        return warnings
    try:
        _seccomp()
    except (ImportError, OSError, RuntimeError, ValueError) as e:
        warnings.append(f"seccomp filter not applied ({e}); the network namespace and Landlock still apply")
    # last: loading libseccomp (above) reads files this shuts off
    try:
        _landlock([p for p in readable if os.path.exists(p)], [p for p in writable if os.path.exists(p)])
    except OSError as e:
        warnings.append(f"Landlock not applied ({e.strerror or e}); file access is not confined to the store")
    return warnings
