// The records kept in LMDB (tacit-protocol(7), STORAGE) and their encodings.
// Every value starts with a version byte so a later schema can tell old
// records from new ones. Encoding goes through tacit::Writer / Reader only.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "shared/bytes.hpp"
#include "shared/messages_chat.hpp"
#include "shared/protocol.hpp"
#include "shared/x3dh.hpp"

namespace tacit::store {

constexpr uint8_t kRecordVersion = 1;

// users: username -> record. The verifier is password-equivalent for the
// login proof, so encoded buffers holding it are wiped after use.
struct UserRec {
    Bytes public_key;
    Array<32> verifier{};
    Array<16> salt{};
    uint64_t created_at_ms = 0;
    uint32_t key_version = 0;
    bool operator==(const UserRec&) const = default;
};

// groups: group_id -> record. A dissolved group keeps its id taken.
struct GroupRec {
    std::string owner;
    uint64_t created_at_ms = 0;
    bool dissolved = false;
    bool operator==(const GroupRec&) const = default;
};

// sessions: SHA-256(token), 32 bytes -> record. The token itself is never
// stored: the hash finds the session and proves nothing (tacit-protocol(7),
// STORAGE).
struct SessionRec {
    std::string user;
    uint32_t key_version = 0;  // the user's key_version at login
    uint64_t expires_ms = 0;   // wall clock, epoch ms
    bool operator==(const SessionRec&) const = default;
};
using SessionHash = Array<32>;

// mailboxes: receiver | 0x00 | u64be id -> record (the id lives in the key).
// The record is the wire's stored item, so UPDATE1 hands it out unchanged.
using StoredMsg = msg::Stored;

Bytes encode_user(const UserRec&);
UserRec decode_user(ByteView);
Bytes encode_group(const GroupRec&);
GroupRec decode_group(ByteView);
Bytes encode_session(const SessionRec&);
SessionRec decode_session(ByteView);
// The id is not part of the value; decode_mail fills it from the caller.
Bytes encode_mail(const StoredMsg&);
StoredMsg decode_mail(ByteView value, uint64_t id);

// What a message is charged against the quotas: the size of its stored
// record, i.e. encode_mail(m).size(), computed without encoding.
size_t mail_charge(const StoredMsg&);
// Whose quotas a message is charged to: a message's sender, or the ACTOR
// of a system entry's "EVENT ACTOR SUBJECT" (tacit-protocol(7), STORED
// MESSAGES), since that user's membership change put it there. "" when
// nobody (a system entry that does not decode). tacitd no longer writes
// system entries; ones an older tacitd left must still give their
// actor's quota back when acknowledged.
std::string mail_payer(const StoredMsg&);
// The same for a stored record; a message's is read without copying the rest.
std::string mail_payer(ByteView value);
// ACTOR of a system entry text, "" if the text has no such word.
std::string_view system_actor(std::string_view text);

// Size of the item as UPDATE1_R encodes it (tacit-protocol(7),
// STORED MESSAGES); the page byte limit counts these.
size_t stored_wire_size(const StoredMsg&);

// spk: username -> u8 1 | u32 id | u64 created | pub[32] | sig (the
// signed prekey as its owner signed it, tacit-protocol(7), PREKEYS).
Bytes encode_spk(const x3dh::SignedPrekey&);
x3dh::SignedPrekey decode_spk(ByteView);
// opk: username | 0x00 | u32be id -> u8 1 | pub[32]. Key order is id
// order, so a fetch hands out the lowest id first.
Bytes opk_prefix(std::string_view user);
Bytes opk_key(std::string_view user, uint32_t id);
Bytes encode_opk(const Array<32>& pub);
Array<32> decode_opk(ByteView);

// A user or group name as a key. LMDB's default key limit is 511 bytes and
// DUPSORT data shares it; names are at most 32 bytes once handlers have
// checked them. A 0x00 would break the receiver|0x00 prefixes. Throws
// std::invalid_argument on a name that breaks this.
ByteView name_key(std::string_view name);
// quota: 'b' | receiver -> bytes in the mailbox; 's' | sender -> bytes from
// sender in all mailboxes; 'p' | sender | 0x00 | receiver -> bytes from
// sender in receiver's. All u64be, absent when zero.
Bytes mailbox_bytes_key(std::string_view receiver);
Bytes sender_bytes_key(std::string_view sender);
Bytes pair_bytes_key(std::string_view sender, std::string_view receiver);

// receiver | 0x00 | u64 big-endian id. Names never contain 0x00, so the
// prefix receiver|0x00 selects exactly one mailbox.
Bytes mailbox_prefix(std::string_view receiver);
Bytes mailbox_key(std::string_view receiver, uint64_t id);

}  // namespace tacit::store
