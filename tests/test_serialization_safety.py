"""Loading untrusted checkpoints: malicious pickles are refused with no side effect, and
hostile archives get clear exceptions (never a crash, a hang or a huge allocation)."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
from pickle import UnpicklingError

import numpy as np
import pytest

import ember
from ember.serialization import load, save

PROTO = b"\x80\x02"


def glob(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def text(s: str) -> bytes:
    data = s.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def value(obj) -> bytes:
    """The opcodes of a plain value, as pickle writes them (without PROTO and STOP)."""
    return pickle.dumps(obj, 2)[2:-1]


def call(func: bytes, *args: bytes) -> bytes:
    return func + b"(" + b"".join(args) + b"tR"


def checkpoint(pkl: bytes, records: dict | None = None, prefix: str = "archive") -> bytes:
    """A zip laid out like torch.save's output, with the given data.pkl and records."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(f"{prefix}/data.pkl", pkl)
        for name, data in (records or {}).items():
            z.writestr(f"{prefix}/{name}", data)
        z.writestr(f"{prefix}/version", b"3\n")
    return out.getvalue()


def load_bytes(data: bytes, **kwargs):
    return load(io.BytesIO(data), **kwargs)


def tensor_pickle(numel=4, offset=0, size=(4,), stride=(1,), storage="FloatStorage", key="0",
                  location="cpu", requires_grad=False) -> bytes:
    pid = b"(" + text("storage") + glob("torch", storage) + text(key) + text(location) + \
        value(numel) + b"tQ"
    args = pid + value(offset) + value(size) + value(stride) + value(requires_grad) + \
        call(glob("collections", "OrderedDict"))
    return PROTO + call(glob("torch._utils", "_rebuild_tensor_v2"), args) + b"."


def test_hand_built_tensor_pickle_is_valid():
    """The helpers above build what a real checkpoint holds: without this, the hostile
    variants below could fail for the wrong reason."""
    data = np.arange(4, dtype=np.float32)
    t = load_bytes(checkpoint(tensor_pickle(), {"data/0": data.tobytes()}))
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0]


# -- malicious pickles ----------------------------------------------------------------------
def live_payloads(sentinel: str) -> dict:
    """Pickles that create ``sentinel`` when loaded by an ordinary unpickler."""
    cmd = text(f"touch {sentinel}")
    code = text(f"open({sentinel!r}, 'w').close()")
    os_system = glob("os", "system")
    return {
        "os.system": PROTO + call(os_system, cmd) + b".",
        "posix.system": PROTO + call(glob("posix", "system"), cmd) + b".",
        "builtins.eval": PROTO + call(glob("builtins", "eval"), code) + b".",
        "builtins.exec": PROTO + call(glob("builtins", "exec"), code) + b".",
        "__builtin__.eval": PROTO + call(glob("__builtin__", "eval"), code) + b".",
        "subprocess.check_call": PROTO + call(glob("subprocess", "check_call"),
                                              value(["touch", sentinel])) + b".",
        "subprocess.getoutput": PROTO + call(glob("subprocess", "getoutput"), cmd) + b".",
        "builtins.__import__": PROTO + call(call(
            glob("builtins", "getattr"), call(glob("builtins", "__import__"), text("os")),
            text("system")), cmd) + b".",
        "getattr chain": PROTO + call(call(glob("builtins", "getattr"), call(
            glob("builtins", "getattr"), glob("os", "path"), text("os")), text("system")),
            cmd) + b".",
        "nested in OrderedDict": PROTO + call(glob("collections", "OrderedDict"), b"]" +
                                              text("k") + call(os_system, cmd) + b"\x86a") +
                                 b".",
        "nested in a state dict": PROTO + b"}(" + text("w") + call(os_system, cmd) + b"u.",
        "STACK_GLOBAL": b"\x80\x04" + text("os") + text("system") + b"\x93" + b"(" + cmd +
                        b"tR.",
        "INST": b"(" + cmd + b"ios\nsystem\n.",
        "OBJ": b"(" + os_system + cmd + b"o.",
    }


# Each maps to text the refusal must contain.
REFUSAL = {"os.system": "os.system", "posix.system": "posix.system",
           "builtins.eval": "builtins.eval", "builtins.exec": "builtins.exec",
           "__builtin__.eval": "builtins.eval", "subprocess.check_call": "subprocess.check_call",
           "subprocess.getoutput": "subprocess.getoutput",
           "builtins.__import__": "builtins.getattr", "getattr chain": "builtins.getattr",
           "nested in OrderedDict": "os.system", "nested in a state dict": "os.system",
           "STACK_GLOBAL": "os.system", "INST": "INST", "OBJ": "os.system"}


@pytest.mark.parametrize("name", sorted(REFUSAL))
def test_payload_is_live_under_plain_pickle(name, tmp_path):
    """Control: each payload really does run code when loaded without the allowlist."""
    sentinel = tmp_path / "pwned"
    pickle.loads(live_payloads(str(sentinel))[name])
    assert sentinel.exists()


@pytest.mark.parametrize("name", sorted(REFUSAL))
def test_payload_is_refused_with_no_side_effect(name, tmp_path):
    sentinel = tmp_path / "pwned"
    payload = live_payloads(str(sentinel))[name]
    with pytest.raises(UnpicklingError) as err:
        load_bytes(checkpoint(payload))
    assert REFUSAL[name] in str(err.value)
    assert not sentinel.exists()
    with pytest.raises(UnpicklingError):
        load_bytes(checkpoint(payload), weights_only=None)  # None means True
    assert not sentinel.exists()


LOOKALIKES = [
    ("torch._utils", "_rebuild_tensor_v2x"), ("torch._utils", "_rebuild_tensor_v"),
    ("torch._utilsx", "_rebuild_tensor_v2"), ("Torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor_v2.__globals__"), ("torch._utils ", "_rebuild_tensor_v2"),
    ("collections", "OrderedDictx"), ("collections", "OrderedDict.fromkeys"),
    ("collections.OrderedDict", "__init__"), ("torch", "FloatStorage\x00"),
    ("torch", "FloatStorage.__new__"), ("torch", "Tensor.__reduce_ex__"),
    ("ember.serialization", "load"), ("torch", "load"), ("torch.serialization", "load"),
    ("numpy.core.multiarray", "_reconstruct"), ("functools", "partial"),
    ("operator", "attrgetter"), ("pickle", "loads"), ("runpy", "_run_code"),
    ("builtins", "open"), ("builtins", "getattr"), ("types", "FunctionType"),
    ("importlib", "import_module"), ("ctypes", "CDLL"), ("torch.nn.modules.linear", "Linear"),
]


@pytest.mark.parametrize("module,name", LOOKALIKES)
def test_names_off_the_allowlist_are_refused_by_name(module, name):
    payload = PROTO + call(glob(module, name)) + b"."
    with pytest.raises(UnpicklingError) as err:
        load_bytes(checkpoint(payload))
    assert f"refused the global {repr(f'{module}.{name}')}" in str(err.value)


def test_refusals_inside_a_real_checkpoint(tmp_path):
    """A valid state dict with one poisoned entry is refused as a whole."""
    buf = io.BytesIO()
    save({"w": ember.ones(2)}, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    pkl = src.read("archive/data.pkl")
    sentinel = tmp_path / "pwned"
    poisoned = pkl[:-2] + text("evil") + call(glob("os", "system"),
                                              text(f"touch {sentinel}")) + b"s."
    with pytest.raises(UnpicklingError, match="os.system"):
        load_bytes(checkpoint(poisoned, {"data/0": src.read("archive/data/0")}))
    assert not sentinel.exists()


@pytest.mark.parametrize("payload,match", [
    # BUILD would set __defaults__ (or anything) on ember's own rebuild function
    (PROTO + glob("torch._utils", "_rebuild_tensor_v2") + b"}" + text("__defaults__") +
     value((1,)) + b"sb.", "BUILD"),
    (PROTO + call(glob("collections", "OrderedDict")) + b"}" + text("__class__") +
     value(1) + b"sb.", "BUILD"),
    (PROTO + call(glob("collections", "OrderedDict")) + value(({}, {"x": 1})) + b"b.", "BUILD"),
    (PROTO + glob("torch", "float32") + b")R.", "allowlisted"),
    (PROTO + b"]" + b")R.", "allowlisted"),
    (PROTO + call(glob("_codecs", "encode"), text("x"), text("rot13")) + b".", "latin1"),
    (PROTO + b"Pos.system\n.", "persistent id"),
    (PROTO + b"\x82\x01.", "EXT1"),
    (PROTO + b"\x97.", "NEXT_BUFFER"),
    (PROTO + glob("_codecs", "encode") + value(("x", "latin1")) + b"\x81.", "allowlisted"),
])
def test_dangerous_opcode_uses_are_refused(payload, match):
    with pytest.raises(UnpicklingError, match=match):
        load_bytes(checkpoint(payload))


def test_build_sets_state_dict_metadata_only_as_plain_attributes():
    payload = PROTO + call(glob("collections", "OrderedDict")) + value(
        {"_metadata": {"": {"version": 1}}}) + b"b."
    out = load_bytes(checkpoint(payload))
    assert out._metadata == {"": {"version": 1}}


# -- hostile tensor metadata ----------------------------------------------------------------
FOUR_FLOATS = {"data/0": np.arange(4, dtype=np.float32).tobytes()}


@pytest.mark.parametrize("kwargs,records,match", [
    (dict(numel=5), FOUR_FLOATS, "holds 16 bytes but the checkpoint declares 20"),
    (dict(numel=3), FOUR_FLOATS, "holds 16 bytes"),
    (dict(numel=10**18), FOUR_FLOATS, "holds 16 bytes"),
    (dict(numel=-1), FOUR_FLOATS, "non-negative"),
    (dict(key="1"), FOUR_FLOATS, "not in the archive"),
    (dict(key="../../etc/passwd"), FOUR_FLOATS, "not in the archive"),
    (dict(offset=10, size=(1,)), FOUR_FLOATS, "reaches element 10"),
    (dict(offset=5, size=(0,)), FOUR_FLOATS, "past the end"),
    (dict(size=(4,), stride=(2,)), FOUR_FLOATS, "reaches element 6"),
    (dict(size=(3, 2), stride=(2, 1)), FOUR_FLOATS, "reaches element 5"),
    (dict(size=(2**40, 2**40), stride=(1, 1)), FOUR_FLOATS, "only 4 elements"),
    (dict(size=(10**30,)), FOUR_FLOATS, "2\\*\\*62"),
    (dict(size=(-1,)), FOUR_FLOATS, "expected ints"),
    (dict(size=(2.0,)), FOUR_FLOATS, "expected ints"),
    (dict(size=(1,) * 100, stride=(1,) * 100), FOUR_FLOATS, "dimensions"),
    (dict(size=(4,), stride=(1, 1)), FOUR_FLOATS, "differ in length"),
    (dict(size=4), FOUR_FLOATS, "tuple of ints"),
    (dict(stride=(-1,)), FOUR_FLOATS, "expected ints"),
    (dict(offset=-1), FOUR_FLOATS, "non-negative"),
    (dict(requires_grad=1), FOUR_FLOATS, "bool"),
    (dict(storage="LongStorage", numel=2, size=(2,)), FOUR_FLOATS, None),
    (dict(storage="LongStorage", numel=2, size=(2,), requires_grad=True), FOUR_FLOATS,
     "cannot require gradients"),
    (dict(location="mps"), FOUR_FLOATS, "mps"),
    (dict(location="cuda:notanumber"), FOUR_FLOATS, "location"),
    (dict(storage="BFloat16Storage"), FOUR_FLOATS, "bfloat16"),
])
def test_hostile_tensor_descriptions(kwargs, records, match):
    data = checkpoint(tensor_pickle(**kwargs), records)
    if match is None:  # control: a legitimate reinterpretation loads
        assert load_bytes(data).shape == (2,)
        return
    with pytest.raises((UnpicklingError, RuntimeError), match=match):
        load_bytes(data)


@pytest.mark.parametrize("pid", [b"N", value("storage"), value(("storage",)),
                                 value(("storage", 1, "0", "cpu", 4)),
                                 value(("module", None, "0", "cpu", 4))])
def test_malformed_persistent_ids(pid):
    with pytest.raises(UnpicklingError):
        load_bytes(checkpoint(PROTO + pid + b"Q.", FOUR_FLOATS))


def test_shared_storage_key_with_conflicting_sizes():
    t4, t2 = tensor_pickle(numel=4), tensor_pickle(numel=2, size=(2,))
    pkl = PROTO + b"(" + t4[2:-1] + t2[2:-1] + b"l."
    with pytest.raises(UnpicklingError, match="two different sizes|holds 16 bytes"):
        load_bytes(checkpoint(pkl, FOUR_FLOATS))


# -- hostile pickle structure ---------------------------------------------------------------
def test_recursive_structures_load_as_recursive_python_objects():
    out = load_bytes(checkpoint(PROTO + b"]q\x00h\x00a."))  # a list that contains itself
    assert out[0] is out
    out = load_bytes(checkpoint(PROTO + b"}q\x00" + text("me") + b"h\x00s."))
    assert out["me"] is out


def test_deep_nesting_does_not_recurse():
    depth = 200_000
    out = load_bytes(checkpoint(PROTO + b"(" * depth + b"l" * depth + b"."))
    for _ in range(10):
        out = out[0] if out else out
    assert isinstance(out, list)


def test_hash_bomb_keys_are_refused_quickly():
    # memo[0] = t_{k+1} = (t_k, t_k), sixty times: hashing t_60 would take 2**60 steps.
    pkl = PROTO + b"Nq\x00" + b"h\x00h\x00\x86q\x00" * 60 + b"}h\x00Ns."
    with pytest.raises(UnpicklingError, match="too deeply or too large"):
        load_bytes(checkpoint(pkl))


@pytest.mark.parametrize("key", [value([1]), value({}), call(glob("builtins", "set")),
                                 value(2**70)])
def test_unsuitable_dict_keys_are_refused(key):
    with pytest.raises(UnpicklingError):
        load_bytes(checkpoint(PROTO + b"}" + key + b"Ns."))


@pytest.mark.parametrize("target", [b"]", b")", value("text"), tensor_pickle()[2:-1],
                                    call(glob("builtins", "set"))])
def test_setitem_only_on_dicts(target):
    with pytest.raises(UnpicklingError, match="SETITEM"):
        load_bytes(checkpoint(PROTO + target + value("k") + value(1) + b"s.", FOUR_FLOATS))


@pytest.mark.parametrize("target", [b"}", b")", call(glob("collections", "OrderedDict"))])
def test_append_only_on_lists(target):
    with pytest.raises(UnpicklingError, match="APPEND"):
        load_bytes(checkpoint(PROTO + target + value(1) + b"a."))


def test_quadratic_work_from_memo_references_is_refused():
    big = value(list(range(100_000)))
    calls = b"".join(call(glob("builtins", "set"), b"h\x01") + b"0" for _ in range(20_000))
    pkl = PROTO + big.replace(b"]q\x00", b"]q\x01", 1) + b"0" + calls + b"N."
    with pytest.raises(UnpicklingError, match="far more work"):
        load_bytes(checkpoint(pkl))


def test_key_checking_work_is_billed():
    # A 60-int tuple referenced 100k times in a list, hashed into sets ten times: the calls
    # alone fit the budget (they pay for their arguments), the key checks they cause do not.
    key = value(tuple(range(60))).replace(b"q\x00", b"") + b"q\x01"
    refs = b"](" + b"h\x01" * 100_000 + b"eq\x02"
    calls = b"".join(call(glob("builtins", "set"), b"h\x02") + b"0" for _ in range(10))
    with pytest.raises(UnpicklingError, match="far more work"):
        load_bytes(checkpoint(PROTO + key + refs + calls + b"N."))


def test_memory_amplification_through_encode_is_refused():
    s = b"X" + struct.pack("<I", 1 << 20) + b"a" * (1 << 20) + b"q\x01"
    encode = glob("_codecs", "encode") + b"q\x02"
    calls = b"".join(b"h\x02(h\x01" + text("latin1") + b"tRa" for _ in range(200))
    with pytest.raises(UnpicklingError, match="far more work"):
        load_bytes(checkpoint(PROTO + s + b"0" + encode + b"0]" + calls + b"."))


@pytest.mark.parametrize("pkl", [
    PROTO + b"\x8e" + struct.pack("<Q", 1 << 62) + b"abc.",  # BINBYTES8 with a huge length
    PROTO + b"\x8d" + struct.pack("<Q", 1 << 62) + b".",  # BINUNICODE8
    PROTO + b"\x8b" + struct.pack("<I", 1 << 31) + b".",  # LONG4
    PROTO + b"X\xff\xff\xff\x7f.",
    PROTO + b"h\x05.",  # memo entry never stored
    PROTO + b"t.",  # TUPLE without MARK
    PROTO + b"a.",  # APPEND on an empty stack
    PROTO + b".",  # STOP on an empty stack
    PROTO + b"N",  # no STOP
    PROTO + b"\xff.",  # not an opcode
    b"\x80\x09N.",  # unknown protocol
    PROTO + b"X\x02\x00\x00\x00\xff\xfe.",  # invalid UTF-8
    PROTO + b"I12x\n.",
    b"",
])
def test_malformed_pickles_get_unpickling_errors(pkl):
    with pytest.raises(UnpicklingError):
        load_bytes(checkpoint(pkl))
