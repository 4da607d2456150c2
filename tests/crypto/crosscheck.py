#!/usr/bin/env python3
"""Independent check of tacit's X3DH, Double Ratchet, group membership
records, batch signatures and the handshake's preliminary frame (shared/x3dh.hpp, shared/ratchet.hpp,
shared/group_record.hpp, shared/group_chain.hpp, shared/batch_sig.hpp, shared/handshake.hpp) with python3-cryptography: reads the JSON that
tacit-vectors prints on stdin, recomputes every layout, signature, KDF step
and ciphertext from the same fixed keys, and prints "PASS name" or
"FAIL name: why" per check (tests/run.sh counts them)."""
import json
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

failures = 0


def report(name, ok, why=""):
    global failures
    if ok:
        print(f"PASS {name}")
    else:
        failures += 1
        print(f"FAIL {name}: {why}")


def same(name, got, want):
    report(name, got == want, f"expected {want.hex() if isinstance(want, bytes) else want}, "
                              f"got {got.hex() if isinstance(got, bytes) else got}")


def h(s):
    return bytes.fromhex(s)


def tstr(b):  # str = u16 length | bytes
    return struct.pack(">H", len(b)) + b


def blob(b):  # blob = u32 length | bytes
    return struct.pack(">I", len(b)) + b


def priv(hexkey):
    return X25519PrivateKey.from_private_bytes(h(hexkey))


def pub_of(hexkey):
    return priv(hexkey).public_key().public_bytes(serialization.Encoding.Raw,
                                                   serialization.PublicFormat.Raw)


def dh(priv_hex, pub):
    return priv(priv_hex).exchange(X25519PublicKey.from_public_bytes(pub))


def hkdf(ikm, salt, info, n):
    return HKDF(algorithm=hashes.SHA256(), length=n, salt=salt, info=info).derive(ikm)


def hmac256(key, msg):
    m = hmac.HMAC(key, hashes.SHA256())
    m.update(msg)
    return m.finalize()


def sha256(b):
    d = hashes.Hash(hashes.SHA256())
    d.update(b)
    return d.finalize()


def user_bundle_box(bundle):  # u8 1 | blob der | box[32]
    (n,) = struct.unpack(">I", bundle[1:5])
    return bundle[5 + n:]


def check_x3dh(i, c):
    tag = f"x3dh-{i}-{'opk' if 'opk_priv' in c else 'no-opk'}"
    spk_pub = pub_of(c["spk_priv"])
    opk_pub = pub_of(c["opk_priv"]) if "opk_priv" in c else None
    bundle = h(c["prekey_bundle"])
    # The bundle layout, rebuilt from its parts; the signature is taken from it.
    head = b"\x03" + struct.pack(">IQ", c["spk_id"], c["spk_created"]) + spk_pub
    same(f"{tag} bundle head", bundle[:len(head)], head)
    (siglen,) = struct.unpack(">H", bundle[len(head):len(head) + 2])
    sig = bundle[len(head) + 2:len(head) + 2 + siglen]
    tail = (b"\x01" + struct.pack(">I", c["opk_id"]) + opk_pub) if opk_pub else b"\x00"
    same(f"{tag} bundle tail", bundle[len(head) + 2 + siglen:], tail)
    same(f"{tag} signature length", siglen, 384)
    signed = (tstr(b"tacit v2 signed prekey") + tstr(c["bob"].encode()) +
              struct.pack(">IQ", c["spk_id"], c["spk_created"]) + spk_pub)
    rsa = serialization.load_der_public_key(h(c["bob_rsa_der"]))
    try:
        rsa.verify(sig, signed, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                   hashes.SHA256())
        report(f"{tag} signed prekey verifies", True)
    except InvalidSignature:
        report(f"{tag} signed prekey verifies", False, "RSA-PSS signature does not verify")
    ik_a = pub_of(c["alice_ik_priv"])
    ek = pub_of(c["ek_priv"])
    same(f"{tag} alice bundle box key", user_bundle_box(h(c["alice_bundle"])), ik_a)
    header = (b"\x04" + ik_a + ek + struct.pack(">I", c["spk_id"]) +
              ((b"\x01" + struct.pack(">I", c["opk_id"])) if opk_pub else b"\x00"))
    same(f"{tag} header", h(c["header"]), header)
    same(f"{tag} first id", h(c["first_id"]), sha256(tstr(b"tacit v2 X3DH first") + ik_a + ek))
    ik_b = user_bundle_box(h(c["bob_bundle"]))
    km = (b"\xff" * 32 + dh(c["alice_ik_priv"], spk_pub) + dh(c["ek_priv"], ik_b) +
          dh(c["ek_priv"], spk_pub) + (dh(c["ek_priv"], opk_pub) if opk_pub else b""))
    sk = hkdf(km, b"\x00" * 32, b"tacit v2 X3DH", 32)
    same(f"{tag} SK (initiator)", h(c["sk"]), sk)
    same(f"{tag} SK (responder)", h(c["responder_sk"]), sk)
    ad = (tstr(b"tacit v2 X3DH AD") + tstr(c["alice"].encode()) + blob(h(c["alice_bundle"])) +
          tstr(c["bob"].encode()) + blob(h(c["bob_bundle"])))
    same(f"{tag} AD (initiator)", h(c["ad"]), ad)
    same(f"{tag} AD (responder)", h(c["responder_ad"]), ad)


class Party:
    """Signal's Double Ratchet, section 3, written from the specification."""

    def __init__(self, role, ad, keys):
        self.role, self.ad, self.keys = role, ad, list(keys)
        self.cks = self.ckr = self.dhr = None
        self.ns = self.nr = self.pn = 0
        self.skipped = {}

    def next_key(self):
        return self.keys.pop(0)

    @staticmethod
    def kdf_rk(rk, dh_out):
        o = hkdf(dh_out, rk, b"tacit v2 ratchet root", 64)
        return o[:32], o[32:]

    @staticmethod
    def kdf_ck(ck):
        return hmac256(ck, b"\x02"), hmac256(ck, b"\x01")

    def aad(self, sender_role, header):
        return tstr(b"tacit v2 message") + blob(self.ad) + bytes([sender_role]) + header

    def seal(self, mk, sender_role, header, pt):
        k = hkdf(mk, b"\x00" * 32, b"tacit v2 message key", 44)
        return AESGCM(k[:32]).encrypt(k[32:], pt, self.aad(sender_role, header))

    def open(self, mk, header, ct):
        k = hkdf(mk, b"\x00" * 32, b"tacit v2 message key", 44)
        return AESGCM(k[:32]).decrypt(k[32:], ct, self.aad(3 - self.role, header))

    def encrypt(self, pt):
        header = pub_of(self.dhs) + struct.pack(">II", self.pn, self.ns)
        self.cks, mk = self.kdf_ck(self.cks)
        self.ns += 1
        return header + self.seal(mk, self.role, header, pt)

    def skip(self, until):
        while self.ckr is not None and self.nr < until:
            self.ckr, mk = self.kdf_ck(self.ckr)
            self.skipped[(self.dhr, self.nr)] = mk
            self.nr += 1

    def decrypt(self, msg):
        header, ct = msg[:40], msg[40:]
        dh_pub = header[:32]
        pn, n = struct.unpack(">II", header[32:])
        if (dh_pub, n) in self.skipped:
            return self.open(self.skipped.pop((dh_pub, n)), header, ct)
        if dh_pub != self.dhr:
            self.skip(pn)
            self.pn, self.ns, self.nr, self.dhr = self.ns, 0, 0, dh_pub
            self.rk, self.ckr = self.kdf_rk(self.rk, dh(self.dhs, dh_pub))
            self.dhs = self.next_key()
            self.rk, self.cks = self.kdf_rk(self.rk, dh(self.dhs, dh_pub))
        self.skip(n)
        self.ckr, mk = self.kdf_ck(self.ckr)
        self.nr += 1
        return self.open(mk, header, ct)


def check_ratchet(r):
    sk, ad = h(r["sk"]), h(r["ad"])
    alice = Party(1, ad, r["alice_keys"])
    alice.dhs = alice.next_key()
    alice.dhr = pub_of(r["spk_priv"])
    alice.rk, alice.cks = Party.kdf_rk(sk, dh(alice.dhs, alice.dhr))
    bob = Party(2, ad, r["bob_keys"])
    bob.dhs, bob.rk = r["spk_priv"], sk
    parties = {"a": alice, "b": bob}
    for i, e in enumerate(r["events"]):
        if e["op"] == "send":
            got = parties[e["from"]].encrypt(h(e["plaintext"]))
            same(f"ratchet event {i}: {e['from']} sends", h(e["message"]), got)
        else:
            try:
                pt = parties[e["to"]].decrypt(h(e["message"]))
                same(f"ratchet event {i}: {e['to']} receives", h(e["plaintext"]), pt)
            except Exception as ex:  # noqa: BLE001 - any failure is a FAIL line
                report(f"ratchet event {i}: {e['to']} receives", False, repr(ex))
    report("ratchet every generated key used", not alice.keys and not bob.keys,
           "the C++ side drew ratchet keys the specification does not")


GROUP_LABEL = b"tacit v2 group record"
CREATE, ADD, REMOVE, LEAVE, DISSOLVE, REKEYED = range(1, 7)


def rsa_of_bundle(bundle):  # u8 1 | blob der | box[32]
    (n,) = struct.unpack(">I", bundle[1:5])
    return serialization.load_der_public_key(bundle[5:5 + n])


def pss_verifies(bundle, sig, msg):
    try:
        rsa_of_bundle(bundle).verify(sig, msg, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                          salt_length=32), hashes.SHA256())
        return True
    except InvalidSignature:
        return False


def group_body(rec, prev, old_key):
    """The record up to its first signature, rebuilt from its fields."""
    body = (bytes([5, rec["kind"]]) + tstr(rec["group"].encode()) + tstr(rec["actor"].encode()) +
            tstr(rec["subject"].encode()) + struct.pack(">Q", rec["epoch"]) + prev)
    if rec["kind"] == REKEYED:
        body += old_key
    if rec["kind"] in (CREATE, ADD, REKEYED):
        body += blob(h(rec["bundle"]))
    return body


def split_sigs(enc, body, count):
    """The signatures after body, or None if the layout differs."""
    if enc[:len(body)] != body:
        return None
    sigs, at = [], len(body)
    for _ in range(count):
        (n,) = struct.unpack(">H", enc[at:at + 2])
        sigs.append(enc[at + 2:at + 2 + n])
        at += 2 + n
    return sigs if at == len(enc) else None


def check_group_record(tag, rec, prev, keys):
    """Checks one record against the chain state (keys: user -> bundle);
    returns True when both the layout and every signature hold."""
    old_key = sha256(keys[rec["subject"]]) if rec["kind"] == REKEYED else b""
    body = group_body(rec, prev, old_key)
    enc = h(rec["encoding"])
    sigs = split_sigs(enc, body, 2 if rec["kind"] == REKEYED else 1)
    report(f"{tag} layout", sigs is not None, "encoding is not the fields in the documented layout")
    if sigs is None:
        return False
    report(f"{tag} signature length", all(len(x) == 384 for x in sigs), "not 384-byte signatures")
    signer = h(rec["bundle"]) if rec["kind"] == CREATE else keys[rec["actor"]]
    ok = pss_verifies(signer, sigs[0], tstr(GROUP_LABEL) + body)
    if rec["kind"] == REKEYED:
        ok = ok and pss_verifies(h(rec["bundle"]), sigs[1], tstr(GROUP_LABEL) + body)
    return ok


def check_group(g):
    keys, prev = {}, b"\x00" * 32
    for i, rec in enumerate(g["records"]):
        tag = f"group record {i} (kind {rec['kind']})"
        same(f"{tag} epoch", rec["epoch"], i)
        report(f"{tag} signatures verify", check_group_record(tag, rec, prev, keys),
               "RSA-PSS over the label and the record body does not verify")
        if rec["kind"] in (CREATE, ADD, REKEYED):
            keys[rec["subject"]] = h(rec["bundle"])
        elif rec["kind"] in (REMOVE, LEAVE, DISSOLVE):
            keys.pop(rec["subject"], None)
        prev = sha256(h(rec["encoding"]))
    same("group head hash", h(g["head"]), prev)
    same("group epoch", g["epoch"], len(g["records"]) - 1)
    same("group members", sorted((m["user"], m["key"]) for m in g["members"]),
         sorted((u, sha256(b).hex()) for u, b in keys.items()))
    forged = g["forged"]
    report("group forged record refused", not check_group_record("group forged", forged, prev, keys),
           "a record with a flipped signature bit verifies")


def mth(leaves):  # RFC 9162 2.1.1, written from the RFC
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path_of(leaves, m):  # RFC 9162 2.1.3.1
    if len(leaves) <= 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return path_of(leaves[:k], m) + [mth(leaves[k:])]
    return path_of(leaves[k:], m - k) + [mth(leaves[:k])]


def check_batch(b):
    """Batch signatures (tacit-protocol(7)): every proof's fields, path and
    root signature, recomputed here from the inputs."""
    pub = serialization.load_der_public_key(h(b["server_pub"]))
    for t, batch in enumerate(b["batches"]):
        n = len(batch)
        leaves, parsed = [], []
        for i, e in enumerate(batch):
            p = h(e["proof"])
            size, idx = struct.unpack(">II", p[:8])
            salt, m = p[8:40], p[40]
            path = [p[41 + 32 * j:73 + 32 * j] for j in range(m)]
            sig = p[41 + 32 * m:]
            ok = size == n and idx == i and len(sig) > 0
            report(f"batch {n} leaf {i} fields", ok, f"size {size} index {idx}")
            leaves.append(sha256(b"\x00" + salt + h(e["input"])))
            parsed.append((path, sig))
        root = mth(leaves)
        for i, (path, sig) in enumerate(parsed):
            same(f"batch {n} leaf {i} audit path", b"".join(path), b"".join(path_of(leaves, i)))
            try:
                pub.verify(sig, b"tacit v2 batch" + struct.pack(">I", n) + root, ec.ECDSA(hashes.SHA256()))
                report(f"batch {n} leaf {i} root signature verifies", True)
            except InvalidSignature:
                report(f"batch {n} leaf {i} root signature verifies", False, "P-256 over the root does not verify")
        bad = bytearray(root)
        bad[0] ^= 1
        try:
            pub.verify(parsed[0][1], b"tacit v2 batch" + struct.pack(">I", n) + bytes(bad), ec.ECDSA(hashes.SHA256()))
            report(f"batch {n} a changed root is refused", False, "verified")
        except InvalidSignature:
            report(f"batch {n} a changed root is refused", True)


def check_prelim(p):
    # tacit-protocol(7) HELLO_R: body = prelim_random | GCM_k0(pt) | tag,
    # IV = session_iv, AAD = the u32 length prefix,
    # k0 = HKDF(session_key, session_iv | prelim_random, "tacit v2 s2c0").
    key, iv, pt = h(p["session_key"]), h(p["session_iv"]), h(p["plaintext"])
    frames = []
    for i, f in enumerate(p["frames"]):
        r = h(f["prelim_random"])
        k0 = hkdf(key, iv + r, b"tacit v2 s2c0", 32)
        same(f"prelim {i} k0", h(f["k0"]), k0)
        n = 32 + len(pt) + 16
        prefix = struct.pack(">I", n)
        want = prefix + r + AESGCM(k0).encrypt(iv, pt, prefix)
        same(f"prelim {i} frame", h(f["frame"]), want)
        frames.append(h(f["frame"]))
    report("prelim replay: another prelim_random and key each time",
           p["frames"][0]["prelim_random"] != p["frames"][1]["prelim_random"]
           and p["frames"][0]["k0"] != p["frames"][1]["k0"], "same prelim_random or k0")
    report("prelim replay: another ciphertext each time", frames[0][36:] != frames[1][36:], "same ciphertext")


def main():
    try:
        v = json.load(sys.stdin)
    except ValueError as ex:
        report("vectors parse", False, str(ex))
        return 1
    for i, c in enumerate(v["x3dh"]):
        check_x3dh(i, c)
    check_ratchet(v["ratchet"])
    check_group(v["group"])
    check_batch(v["batch"])
    check_prelim(v["prelim"])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
