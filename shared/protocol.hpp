// Every protocol number in one place, with the version (as tmux-protocol.h).
// Byte-exact reference: tacit-protocol(7) (man/tacit-protocol.7).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tacit::proto {

constexpr uint8_t kVersion = 2;
constexpr std::string_view kMagic = "TACT";

// Frame length limits (inclusive), both directions.
constexpr size_t kMaxFramePreLogin = 65536;
constexpr size_t kMaxFrameLoggedIn = 1048576;

// Plaintext frame kinds.
enum class Kind : uint8_t { KeyRequest = 1, KeyResponse = 2, Hello = 3, Resume = 4, Refused = 5 };

constexpr size_t kHelloEciesLen = 108;   // 32 eph + 60 plaintext + 16 tag
constexpr size_t kResumeEciesLen = 140;  // 32 eph + 92 plaintext + 16 tag

enum Type : uint8_t {
    HELLO_R = 0x83,
    REGISTER = 0x10,
    RENEW1 = 0x11,
    RENEW2 = 0x12,
    RENEW3 = 0x13,
    LOGIN1 = 0x14,
    LOGIN2 = 0x15,
    LOGOUT = 0x16,
    ONLINE = 0x17,
    MSG1 = 0x18,
    MSG2 = 0x19,
    UPDATE1 = 0x1A,
    UPDATE2 = 0x1B,
    GROUP_CREATE = 0x1C,
    GROUP_ADD = 0x1D,
    GROUP_REMOVE = 0x1E,
    GROUP_MSG1 = 0x1F,
    GROUP_MSG2 = 0x20,
    GROUP_MSG2_BATCH = 0x21,
    GROUP_FETCH = 0x22,
    GROUP_LIST = 0x23,  // the caller's groups and their head epochs (tacit-protocol(7), GROUPS)
    PREKEY_UPLOAD = 0x25,
    PREKEY_FETCH = 0x26,
    PING = 0x30,
    NOTIFY = 0x40,
    ERROR = 0xFF,
};
constexpr uint8_t reply_type(uint8_t t) { return uint8_t(t | 0x80); }

enum Status : uint8_t {
    OK = 0,
    BAD_REQUEST = 1,
    AUTH_FAILED = 2,
    USER_EXISTS = 3,
    NO_SUCH_USER = 4,
    NO_SUCH_GROUP = 5,
    GROUP_EXISTS = 6,
    NOT_MEMBER = 7,
    ALREADY_MEMBER = 8,
    NOT_OWNER = 9,
    KEY_CHANGED = 10,
    RATE_LIMITED = 11,
    TOO_LARGE = 12,
    STORAGE_FULL = 13,
    INTERNAL = 14,
    STALE_EPOCH = 15,  // a group record made on an older head (tacit-protocol(7), GROUPS)
    NO_PREKEYS = 16,  // PREKEY_FETCH: the target never uploaded a signed prekey
};
std::string_view status_name(uint8_t s);

// 3 (group) is retired: a membership change sends 4, which names the group
// (tacit-protocol(7), NOTIFY AND PING).
enum NotifyWhat : uint8_t { NOTIFY_MAIL = 1, NOTIFY_PRESENCE = 2, NOTIFY_GROUP_RECORDS = 4 };
// count = one-time prekeys left (tacit-protocol(7), PREKEYS).
constexpr uint8_t NOTIFY_PREKEYS_LOW = 5;

enum Direction : uint8_t { C2S = 0, S2C = 1 };

// Stored message kinds.
enum StoredKind : uint8_t { STORED_MESSAGE = 0, STORED_SYSTEM = 1 };

// Size bounds.
constexpr size_t kMaxName = 32;
constexpr size_t kMaxBody = 65536;          // formatted_message body
constexpr size_t kMaxEncMsg = 65 * 1024;    // enc_msg refused above this (TOO_LARGE)
constexpr size_t kMaxBundle = 2048;         // a user or server public bundle
constexpr size_t kMaxSig = 1024;
constexpr size_t kPassLen = 32;             // auth value on the wire
constexpr size_t kUpdateMaxMessages = 256;
constexpr size_t kUpdateMaxBytes = 512 * 1024;
// Prekeys (tacit-protocol(7), PREKEYS): one-time prekeys per PREKEY_UPLOAD,
// kept per user at most, and the pool size below which a fetch that takes
// one sends the owner NOTIFY prekeys-low.
constexpr size_t kMaxPrekeysPerUpload = 100;
constexpr size_t kMaxPrekeyPool = 200;
constexpr size_t kPrekeyLowWater = 10;

}  // namespace tacit::proto
