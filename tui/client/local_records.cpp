#include "tui/client/local_records.hpp"

#include <algorithm>
#include <stdexcept>

#include "shared/wire.hpp"

namespace tacit::client::local {

bool key_name_ok(std::string_view s) {
    return !s.empty() && s.size() <= kMaxName && s.find('\0') == std::string_view::npos;
}
ByteView name_key(std::string_view s, const char* what) {
    if (!key_name_ok(s)) throw std::invalid_argument(std::string("local store: bad ") + what);
    return as_bytes(s);
}

// tag | be64 position: a conversation's keys share the tag and sort by
// position, which add() keeps in arrival order.
Bytes msg_key(ByteView tag, uint64_t pos) {
    Bytes k(tag.begin(), tag.end());
    k.resize(kMsgKey);
    put_u64be(k.data() + kConvTag, pos);
    return k;
}
bool has_tag(ByteView key, ByteView tag) {
    return key.size() == kMsgKey && std::equal(tag.begin(), tag.end(), key.begin());
}
uint64_t msg_pos(ByteView key) { return get_u64be(key.data() + kConvTag); }

Bytes encode_activity(const Activity& a) {
    Bytes b(16);
    put_u64be(b.data(), a.at);
    put_u64be(b.data() + 8, a.pos);
    b.insert(b.end(), as_bytes(a.conv).begin(), as_bytes(a.conv).end());
    return b;
}
std::optional<Activity> decode_activity(ByteView b) {
    if (b.size() < 17) return std::nullopt;
    return Activity{get_u64be(b.data()), get_u64be(b.data() + 8), std::string(as_chars(b.subspan(16)))};
}

uint8_t ascii_lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? uint8_t(c + ('a' - 'A')) : c; }

bool contains_ci(ByteView hay, std::string_view needle_lower) {
    auto nb = as_bytes(needle_lower);
    return std::search(hay.begin(), hay.end(), nb.begin(), nb.end(),
                       [](uint8_t a, uint8_t b) { return ascii_lower(a) == b; }) != hay.end();
}

// Duplicates are (sender, msg_id): a msg_id is chosen by its sender, so
// anyone who learns one must not be able to suppress another sender's
// message with it. sender | 0x00 | msg_id fits LMDB's 511-byte key limit.
Bytes id_key(std::string_view sender, std::string_view msg_id) {
    Bytes k(as_bytes(sender).begin(), as_bytes(sender).end());
    k.push_back(0);
    k.insert(k.end(), as_bytes(msg_id).begin(), as_bytes(msg_id).end());
    return k;
}
bool sender_ok(std::string_view s) { return s.size() <= kMaxName && s.find('\0') == std::string_view::npos; }

uint64_t arrival(const ChatMessage& m) { return m.received_at_ms ? m.received_at_ms : m.sent_at_ms; }

Bytes encode(const ChatMessage& m) {
    Writer w;
    w.u8(kRecordVersion).str(m.id).str(m.from).str(m.to).str(m.group).u64(m.sent_at_ms);
    w.blob(as_bytes(m.body)).u8(m.verified ? 1 : 0).u8(m.outgoing ? 1 : 0).str(m.problem);
    w.u64(m.received_at_ms);
    return w.take();
}

// Decodes everything but the body, which stays a view into pt, so search can
// test it before copying. Throws WireError on a malformed record.
ChatMessage decode_head(ByteView pt, ByteView* body) {
    Reader r(pt);
    uint8_t version = r.u8();
    if (version != kRecordVersion && version != kRecordV1) throw WireError(WireError::Invalid, "unknown record version");
    ChatMessage m;
    m.id = r.str();
    m.from = r.str();
    m.to = r.str();
    m.group = r.str();
    m.sent_at_ms = r.u64();
    *body = r.blob_view(kMaxBody);
    m.verified = r.u8() != 0;
    m.outgoing = r.u8() != 0;
    m.problem = r.str();
    if (version == kRecordVersion) m.received_at_ms = r.u64();
    r.finish();
    return m;
}

// A setting's sealed value: str(name) | blob(value); the key is an HMAC, so
// settings() reads the name from here.
Bytes encode_setting(std::string_view name, ByteView value) {
    Writer w;
    w.str(name).blob(value);
    return w.take();
}
std::optional<std::pair<std::string, std::string>> decode_setting(ByteView pt) {
    try {
        Reader r(pt);
        std::string name = r.str(kMaxName);
        std::string value(as_chars(r.blob_view(pt.size())));
        r.finish();
        return std::make_pair(std::move(name), std::move(value));
    } catch (const WireError&) {
        return std::nullopt;
    }
}

}  // namespace tacit::client::local
