#include "srv/store/records.hpp"

#include <lmdb.h>

#include <stdexcept>

#include "shared/messages_payload.hpp"
#include "shared/wire.hpp"
#include "srv/store/store_error.hpp"

namespace tacit::store {

namespace {

// Bounds on what we read back: generous over what handlers accept, tight
// enough that a damaged length can't make us allocate gigabytes.
constexpr size_t kMaxStoredBlob = proto::kMaxFrameLoggedIn;

template <class F> auto decode_or_throw(ByteView v, const char* what, F&& f) {
    try {
        Reader r(v);
        if (r.u8() != kRecordVersion) throw StoreError(std::string(what) + ": unknown record version", MDB_CORRUPTED);
        auto out = f(r);
        r.finish();
        return out;
    } catch (const WireError&) {
        throw StoreError(std::string(what) + ": malformed record", MDB_CORRUPTED);
    }
}

}  // namespace

Bytes encode_user(const UserRec& u) {
    Writer w;
    w.u8(kRecordVersion).blob(u.public_key).raw(u.verifier).raw(u.salt).u64(u.created_at_ms).u32(u.key_version);
    return w.take();
}

UserRec decode_user(ByteView v) {
    return decode_or_throw(v, "users", [](Reader& r) {
        UserRec u;
        u.public_key = r.blob(proto::kMaxBundle);
        u.verifier = r.fixed<32>();
        u.salt = r.fixed<16>();
        u.created_at_ms = r.u64();
        u.key_version = r.u32();
        return u;
    });
}

Bytes encode_session(const SessionRec& s) {
    Writer w;
    w.u8(kRecordVersion).str(s.user).u32(s.key_version).u64(s.expires_ms);
    return w.take();
}

SessionRec decode_session(ByteView v) {
    return decode_or_throw(v, "sessions", [](Reader& r) {
        SessionRec s;
        s.user = r.str(proto::kMaxName);
        s.key_version = r.u32();
        s.expires_ms = r.u64();
        return s;
    });
}

Bytes encode_group(const GroupRec& g) {
    Writer w;
    w.u8(kRecordVersion).str(g.owner).u64(g.created_at_ms).u8(g.dissolved ? 1 : 0);
    return w.take();
}

GroupRec decode_group(ByteView v) {
    return decode_or_throw(v, "groups", [](Reader& r) {
        GroupRec g;
        g.owner = r.str();
        g.created_at_ms = r.u64();
        uint8_t d = r.u8();
        if (d > 1) throw WireError(WireError::Invalid, "bad flag");
        g.dissolved = d == 1;
        return g;
    });
}

Bytes encode_spk(const x3dh::SignedPrekey& k) {
    Writer w;
    w.u8(kRecordVersion).u32(k.id).u64(k.created).raw(k.pub).sig(k.sig);
    return w.take();
}

x3dh::SignedPrekey decode_spk(ByteView v) {
    return decode_or_throw(v, "spk", [](Reader& r) {
        x3dh::SignedPrekey k;
        k.id = r.u32();
        k.created = r.u64();
        k.pub = r.fixed<32>();
        k.sig = r.sig();
        return k;
    });
}

Bytes opk_prefix(std::string_view user) {
    ByteView n = name_key(user);
    Bytes k(n.begin(), n.end());
    k.push_back(0);
    return k;
}

Bytes opk_key(std::string_view user, uint32_t id) {
    Bytes k = opk_prefix(user);
    k.resize(k.size() + 4);
    put_u32be(k.data() + k.size() - 4, id);
    return k;
}

Bytes encode_opk(const Array<32>& pub) {
    Writer w;
    w.u8(kRecordVersion).raw(pub);
    return w.take();
}

Array<32> decode_opk(ByteView v) {
    return decode_or_throw(v, "opk", [](Reader& r) { return r.fixed<32>(); });
}

Bytes encode_mail(const StoredMsg& m) {
    Writer w;
    w.u8(kRecordVersion).u8(m.kind).str(m.sender).str(m.group).u64(m.received_at_ms).blob(m.enc_msg).blob(
        m.wrapped_key);
    return w.take();
}

StoredMsg decode_mail(ByteView v, uint64_t id) {
    return decode_or_throw(v, "mailboxes", [id](Reader& r) {
        StoredMsg m;
        m.id = id;
        m.kind = r.u8();
        m.sender = r.str();
        m.group = r.str();
        m.received_at_ms = r.u64();
        m.enc_msg = r.blob(kMaxStoredBlob);
        m.wrapped_key = r.blob(kMaxStoredBlob);
        return m;
    });
}

size_t stored_wire_size(const StoredMsg& m) {
    return 8 + 1 + (2 + m.sender.size()) + (2 + m.group.size()) + 8 + (4 + m.enc_msg.size()) +
           (4 + m.wrapped_key.size());
}

size_t mail_charge(const StoredMsg& m) {
    // The record has a version byte where the wire item has its u64 id.
    return stored_wire_size(m) - 8 + 1;
}

std::string_view system_actor(std::string_view text) {
    auto a = text.find(' ');
    if (a == std::string_view::npos) return {};
    auto b = text.find(' ', a + 1);
    if (b == std::string_view::npos) return {};
    auto actor = text.substr(a + 1, b - a - 1);
    if (actor.empty() || actor.size() > 255 || actor.find('\0') != std::string_view::npos) return {};
    return actor;
}

std::string mail_payer(const StoredMsg& m) {
    if (m.kind != proto::STORED_SYSTEM) return m.sender;
    try {
        return std::string(system_actor(msg::SystemEntry::decode(m.enc_msg).text));
    } catch (const WireError&) {
        return {};
    }
}

std::string mail_payer(ByteView v) {
    try {
        Reader r(v);
        if (r.u8() != kRecordVersion) throw StoreError("mailboxes: unknown record version", MDB_CORRUPTED);
        if (r.u8() != proto::STORED_SYSTEM) return r.str();
    } catch (const WireError&) {
        throw StoreError("mailboxes: malformed record", MDB_CORRUPTED);
    }
    return mail_payer(decode_mail(v, 0));  // a system entry is small
}

ByteView name_key(std::string_view name) {
    if (name.empty() || name.size() > 255 || name.find('\0') != std::string_view::npos)
        throw std::invalid_argument("store: bad name key");
    return as_bytes(name);
}

namespace {
Bytes tagged(char tag, std::string_view name) {
    auto n = name_key(name);
    Bytes k{uint8_t(tag)};
    k.insert(k.end(), n.begin(), n.end());
    return k;
}
}  // namespace

Bytes mailbox_bytes_key(std::string_view receiver) { return tagged('b', receiver); }
Bytes sender_bytes_key(std::string_view sender) { return tagged('s', sender); }

Bytes pair_bytes_key(std::string_view sender, std::string_view receiver) {
    Bytes k = tagged('p', sender);
    auto r = name_key(receiver);
    k.push_back(0);
    k.insert(k.end(), r.begin(), r.end());
    return k;
}

Bytes mailbox_prefix(std::string_view receiver) {
    Bytes k(as_bytes(receiver).begin(), as_bytes(receiver).end());
    k.push_back(0);
    return k;
}

Bytes mailbox_key(std::string_view receiver, uint64_t id) {
    Bytes k = mailbox_prefix(receiver);
    k.resize(k.size() + 8);
    put_u64be(k.data() + k.size() - 8, id);
    return k;
}

}  // namespace tacit::store
