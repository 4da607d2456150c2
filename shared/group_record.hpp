// Signed group membership records (issue 14): the links of a group's chain.
// Not yet on the wire: tacit-protocol(7) gains these bytes when the server
// and client use them (protocol v2, hence "tacit v2" in the label). The
// rules that link records into a chain are in shared/group_chain.hpp.
//
// Encodings as in tacit-protocol(7), ENCODINGS: integers big endian,
// str = u16 length | bytes, blob = u32 length | bytes, sig = u16 length | bytes.
//
// Record:
//   u8 5                        record tag (UserBundle is 1, ServerBundle 2,
//                               prekey bundle 3, X3DH header 4)
//   u8 kind                     1 create, 2 add, 3 remove, 4 leave,
//                               5 dissolve, 6 rekeyed
//   str group                   a valid name (Names and times)
//   str actor                   who made the change; a valid name
//   str subject                 whom it is about; a valid name
//   u64 epoch                   0 for create, then +1 per record
//   prev_hash[32]               SHA-256 of the previous record's whole
//                               encoding (signatures included); 32 zero
//                               bytes in the create record
//   old_key[32]                 rekeyed only: SHA-256 of the subject's
//                               bundle before the change
//   blob bundle                 create, add and rekeyed only: the subject's
//                               UserBundle (BUNDLES; at most 2048 bytes) as
//                               the actor pinned it (rekeyed: the new one).
//                               The record's key fingerprint is SHA-256 of
//                               it. The whole bundle, not only its hash, so
//                               that a member who joins later can verify
//                               every signature from the chain alone, also
//                               those of members whose keys changed since.
//   sig actor_sig               RSA-3072-PSS, exactly 384 bytes, by the
//                               actor's user key (rekeyed: the old key)
//   sig new_key_sig             rekeyed only: the same input signed by the
//                               key in `bundle`, proving its holder agrees
//
// Signature input (both signatures of a rekeyed record sign the same bytes):
//   str "tacit v2 group record" | every record byte before actor_sig
//
// A record is refused at decode (nothing else is said about it) for a wrong
// tag or kind, an invalid name, a bundle that is not a canonical UserBundle,
// a signature of another length than 384, or a byte missing or left over.
// A record is at most kMaxRecord bytes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shared/bytes.hpp"
#include "shared/crypto.hpp"

namespace tacit::group {

inline constexpr std::string_view kRecordLabel = "tacit v2 group record";
inline constexpr uint8_t kRecordTag = 5;
inline constexpr size_t kSigLen = crypto::kRsaSigLen;
inline constexpr size_t kMaxRecord = 4096;

using Hash = Array<32>;

enum class Kind : uint8_t { Create = 1, Add = 2, Remove = 3, Leave = 4, Dissolve = 5, Rekeyed = 6 };
std::string_view kind_name(Kind k);  // "create", "add", ...
constexpr bool carries_bundle(Kind k) {
    return k == Kind::Create || k == Kind::Add || k == Kind::Rekeyed;
}

struct Record {
    Kind kind = Kind::Create;
    std::string group;
    std::string actor;
    std::string subject;
    uint64_t epoch = 0;
    Hash prev{};
    Hash old_key{};  // rekeyed only
    Bytes bundle;    // create, add, rekeyed only
    Bytes sig;
    Bytes new_key_sig;  // rekeyed only

    // The bytes both signatures cover (layout above).
    Bytes signed_input() const;
    Bytes encode() const;
    // nullopt on anything the layout refuses; never throws on hostile bytes.
    static std::optional<Record> decode(ByteView b);
    // SHA-256 of encode(): what the next record names as prev_hash.
    Hash hash() const;
    bool operator==(const Record&) const = default;
};

// SHA-256 of a bundle: the key fingerprint a chain names for a member
// (keys.hpp's fingerprint() shows the same hash as "SHA256:<base64>").
Hash key_hash(ByteView bundle);

// Signs an otherwise complete record with the actor's key; a rekeyed record
// also with `new_key`, whose public half must be in record.bundle.
Record sign_record(Record r, const crypto::PkKey& key, const crypto::PkKey* new_key = nullptr);

// True when `sig` is the RSA-PSS signature of r.signed_input() by the RSA
// key of `bundle` (a UserBundle). False for anything malformed.
bool verify_by_bundle(const Record& r, ByteView bundle, ByteView sig);

}  // namespace tacit::group
