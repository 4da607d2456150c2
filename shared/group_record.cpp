// Group membership records (layout in shared/group_record.hpp).
#include "shared/group_record.hpp"

#include "shared/keys.hpp"
#include "shared/names.hpp"
#include "shared/protocol.hpp"
#include "shared/wire.hpp"

namespace tacit::group {

namespace {

void write_body(Writer& w, const Record& r) {
    w.u8(kRecordTag).u8(uint8_t(r.kind)).str(r.group).str(r.actor).str(r.subject).u64(r.epoch).raw(r.prev);
    if (r.kind == Kind::Rekeyed) w.raw(r.old_key);
    if (carries_bundle(r.kind)) w.blob(r.bundle);
}

std::optional<Kind> read_kind(uint8_t b) {
    if (b < uint8_t(Kind::Create) || b > uint8_t(Kind::Rekeyed)) return std::nullopt;
    return Kind(b);
}

// A name field; WireError::Invalid unless valid_name accepts it.
std::string read_valid_name(Reader& r) {
    std::string s = r.str(proto::kMaxName);
    if (!valid_name(s)) throw WireError(WireError::Invalid, "invalid name");
    return s;
}

Bytes read_record_sig(Reader& r) {
    Bytes s = r.sig();
    if (s.size() != kSigLen) throw WireError(WireError::Invalid, "signature length");
    return s;
}

// Only a bundle that decodes and re-encodes to the same bytes: one key, one
// encoding, so one fingerprint.
bool canonical_bundle(ByteView b) {
    auto u = UserBundle::decode(b);
    return u && u->encode() == Bytes(b.begin(), b.end());
}

}  // namespace

std::string_view kind_name(Kind k) {
    switch (k) {
        case Kind::Create: return "create";
        case Kind::Add: return "add";
        case Kind::Remove: return "remove";
        case Kind::Leave: return "leave";
        case Kind::Dissolve: return "dissolve";
        case Kind::Rekeyed: return "rekeyed";
    }
    return "unknown";
}

Bytes Record::signed_input() const {
    Writer w;
    w.str(kRecordLabel);
    write_body(w, *this);
    return w.take();
}

Bytes Record::encode() const {
    Writer w;
    write_body(w, *this);
    w.sig(sig);
    if (kind == Kind::Rekeyed) w.sig(new_key_sig);
    return w.take();
}

std::optional<Record> Record::decode(ByteView b) {
    if (b.size() > kMaxRecord) return std::nullopt;
    try {
        Reader r(b);
        if (r.u8() != kRecordTag) return std::nullopt;
        auto kind = read_kind(r.u8());
        if (!kind) return std::nullopt;
        Record out;
        out.kind = *kind;
        out.group = read_valid_name(r);
        out.actor = read_valid_name(r);
        out.subject = read_valid_name(r);
        out.epoch = r.u64();
        out.prev = r.fixed<32>();
        if (out.kind == Kind::Rekeyed) out.old_key = r.fixed<32>();
        if (carries_bundle(out.kind)) {
            out.bundle = r.blob(proto::kMaxBundle);
            if (!canonical_bundle(out.bundle)) return std::nullopt;
        }
        out.sig = read_record_sig(r);
        if (out.kind == Kind::Rekeyed) out.new_key_sig = read_record_sig(r);
        r.finish();
        return out;
    } catch (const WireError&) {
        return std::nullopt;
    }
}

Hash Record::hash() const { return crypto::sha256(encode()); }

Hash key_hash(ByteView bundle) { return crypto::sha256(bundle); }

Record sign_record(Record r, const crypto::PkKey& key, const crypto::PkKey* new_key) {
    Bytes input = r.signed_input();
    r.sig = key.sign(input);
    if (r.kind == Kind::Rekeyed && new_key) r.new_key_sig = new_key->sign(input);
    return r;
}

bool verify_by_bundle(const Record& r, ByteView bundle, ByteView sig) {
    auto u = UserBundle::decode(bundle);
    if (!u || sig.size() != kSigLen) return false;
    auto key = crypto::PkKey::parse_public_der(u->rsa_der);
    return key && key->verify(r.signed_input(), sig);
}

}  // namespace tacit::group
