// The local store's record formats and index keys (local_store.hpp): what a
// message, a setting and a conversation's activity look like inside their
// sealed values, and the names that key them. For the local store's .cpp
// files only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "shared/bytes.hpp"
#include "tui/client/events.hpp"

namespace tacit::client::local {

constexpr size_t kIv = 12, kTag = 16;
// LMDB's default key limit is 511 bytes; conversation keys add 17 more.
constexpr size_t kMaxName = 255;
constexpr size_t kMaxBody = size_t(16) << 20;
// 2 appends received_at; 1 (without it) is still read.
constexpr uint8_t kRecordVersion = 2, kRecordV1 = 1;
// A history key: HMAC(index key, "history" | 0x00 | conversation)[16] |
// be64 position; 24 bytes.
constexpr size_t kConvTag = 16, kMsgKey = kConvTag + 8;

// A name usable as (part of) a key: 1 to kMaxName bytes, no NUL.
bool key_name_ok(std::string_view s);
// s as key bytes; std::invalid_argument naming what when it is not usable.
ByteView name_key(std::string_view s, const char* what);
Bytes msg_key(ByteView tag, uint64_t pos);
bool has_tag(ByteView key, ByteView tag);
uint64_t msg_pos(ByteView key);

// A conversation's latest activity, sealed in convs (schema 3): be64
// arrival | be64 position | name. Arrival is the greatest of its messages'.
struct Activity {
    uint64_t at = 0, pos = 0;
    std::string conv;
};
Bytes encode_activity(const Activity& a);
std::optional<Activity> decode_activity(ByteView b);

uint8_t ascii_lower(uint8_t c);
// Whether hay holds needle_lower, ASCII letters compared case-blind.
bool contains_ci(ByteView hay, std::string_view needle_lower);

Bytes id_key(std::string_view sender, std::string_view msg_id);
bool sender_ok(std::string_view s);
uint64_t arrival(const ChatMessage& m);

Bytes encode(const ChatMessage& m);
ChatMessage decode_head(ByteView pt, ByteView* body);

Bytes encode_setting(std::string_view name, ByteView value);
std::optional<std::pair<std::string, std::string>> decode_setting(ByteView pt);

}  // namespace tacit::client::local
