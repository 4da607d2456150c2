// Group messages (tacit-protocol(7), GROUPS). Field order is wire order.
#pragma once
#include "shared/messages_common.hpp"

namespace tacit::msg {

struct GroupCreate {
    static constexpr uint8_t type = proto::GROUP_CREATE;
    static constexpr int sigs = 1;
    Token token{};
    std::string group;
    Bytes record;  // the signed create record (shared/group_record.hpp)
    Nonce nonce{};
    void encode(Writer&) const;
    static GroupCreate decode(Reader&);
    bool operator==(const GroupCreate&) const = default;
};

struct GroupCreateR {
    static constexpr uint8_t type = proto::reply_type(proto::GROUP_CREATE);
    static constexpr int sigs = 1;
    uint8_t status = 0;
    std::string msg;
    Nonce nonce{};
    void encode(Writer&) const;
    static GroupCreateR decode(Reader&);
    bool operator==(const GroupCreateR&) const = default;
};

struct GroupAdd {
    static constexpr uint8_t type = proto::GROUP_ADD;
    static constexpr int sigs = 1;
    Token token{};
    std::string user;
    std::string group;
    Bytes record;  // the signed record of the change
    Nonce nonce{};
    void encode(Writer&) const;
    static GroupAdd decode(Reader&);
    bool operator==(const GroupAdd&) const = default;
};

struct GroupAddR {
    static constexpr uint8_t type = proto::reply_type(proto::GROUP_ADD);
    static constexpr int sigs = 1;
    uint8_t status = 0;
    std::string msg;
    Nonce nonce{};
    void encode(Writer&) const;
    static GroupAddR decode(Reader&);
    bool operator==(const GroupAddR&) const = default;
};

struct GroupRemove {
    static constexpr uint8_t type = proto::GROUP_REMOVE;
    static constexpr int sigs = 1;
    Token token{};
    std::string user;
    std::string group;
    Bytes record;  // the signed record of the change
    Nonce nonce{};
    void encode(Writer&) const;
    static GroupRemove decode(Reader&);
    bool operator==(const GroupRemove&) const = default;
};

struct GroupRemoveR {
    static constexpr uint8_t type = proto::reply_type(proto::GROUP_REMOVE);
    static constexpr int sigs = 1;
    uint8_t status = 0;
    std::string msg;
    Nonce nonce{};
    void encode(Writer&) const;
    static GroupRemoveR decode(Reader&);
    bool operator==(const GroupRemoveR&) const = default;
};

struct GroupMsg1 {
    static constexpr uint8_t type = proto::GROUP_MSG1;
    static constexpr int sigs = 1;
    Token token{};
    std::string group;
    Nonce nonce{};
    void encode(Writer&) const;
    static GroupMsg1 decode(Reader&);
    bool operator==(const GroupMsg1&) const = default;
};

// One (str user, blob public_key) item of GROUP_MSG1_R's member list.
struct MemberKey {
    static constexpr size_t kMinSize = 2 + 4;
    std::string user;
    Bytes public_key;
    void encode(Writer&) const;
    static MemberKey decode(Reader&);
    bool operator==(const MemberKey&) const = default;
};

struct GroupMsg1R {
    static constexpr uint8_t type = proto::reply_type(proto::GROUP_MSG1);
    static constexpr int sigs = 1;
    using MemberKey = ::tacit::msg::MemberKey;
    uint8_t status = 0;
    std::string msg;
    Nonce nonce{};
    std::vector<MemberKey> members;  // the other members
    void encode(Writer&) const;
    static GroupMsg1R decode(Reader&);
    bool operator==(const GroupMsg1R&) const = default;
};

struct GroupMsg2 {
    static constexpr uint8_t type = proto::GROUP_MSG2;
    static constexpr int sigs = 1;
    Nonce nonce{};  // nonce_i
    std::string group;
    std::string target;
    Bytes enc_msg;
    Bytes wrapped_key;
    void encode(Writer&) const;
    static GroupMsg2 decode(Reader&);
    bool operator==(const GroupMsg2&) const = default;
};

struct GroupMsg2R {
    static constexpr uint8_t type = proto::reply_type(proto::GROUP_MSG2);
    static constexpr int sigs = 1;
    std::string msg;
    uint8_t status = 0;
    Nonce nonce{};
    void encode(Writer&) const;
    static GroupMsg2R decode(Reader&);
    bool operator==(const GroupMsg2R&) const = default;
};

// One (str target, blob enc_msg, blob wrapped_key) item of GROUP_MSG2_BATCH.
struct Part {
    static constexpr size_t kMinSize = 2 + 4 + 4;
    std::string target;
    Bytes enc_msg;
    Bytes wrapped_key;
    void encode(Writer&) const;
    static Part decode(Reader&);
    bool operator==(const Part&) const = default;
};

struct GroupMsg2Batch {
    static constexpr uint8_t type = proto::GROUP_MSG2_BATCH;
    static constexpr int sigs = 1;
    using Part = ::tacit::msg::Part;
    Nonce nonce{};
    std::string group;
    std::vector<Part> parts;
    void encode(Writer&) const;
    static GroupMsg2Batch decode(Reader&);
    bool operator==(const GroupMsg2Batch&) const = default;
};

struct GroupMsg2BatchR {
    static constexpr uint8_t type = proto::reply_type(proto::GROUP_MSG2_BATCH);
    static constexpr int sigs = 1;
    std::string msg;
    uint8_t status = 0;
    Nonce nonce{};
    void encode(Writer&) const;
    static GroupMsg2BatchR decode(Reader&);
    bool operator==(const GroupMsg2BatchR&) const = default;
};

// GROUP_FETCH (0x22): a page of a group's records from epoch `from` on.
struct GroupFetch {
    static constexpr uint8_t type = proto::GROUP_FETCH;
    static constexpr int sigs = 1;
    Token token{};
    std::string group;
    uint64_t from = 0;
    Nonce nonce{};
    void encode(Writer&) const;
    static GroupFetch decode(Reader&);
    bool operator==(const GroupFetch&) const = default;
};

struct GroupFetchR {
    static constexpr uint8_t type = proto::reply_type(proto::GROUP_FETCH);
    static constexpr int sigs = 1;
    static constexpr size_t kMaxRecords = 128;  // per page: 128 x 4096 bytes fit a frame
    uint8_t status = 0;
    std::string msg;
    Nonce nonce{};
    uint64_t head = 0;             // the epoch of the group's newest record
    std::vector<Bytes> records;    // epochs from, from+1, ... (at most kMaxRecords)
    void encode(Writer&) const;
    static GroupFetchR decode(Reader&);
    bool operator==(const GroupFetchR&) const = default;
};

// GROUP_LIST (0x23): the caller's groups with their head epochs, so a
// client that was away fetches the records it missed (tacit-protocol(7), GROUPS).
struct GroupList {
    static constexpr uint8_t type = proto::GROUP_LIST;
    static constexpr int sigs = 1;
    Token token{};
    Nonce nonce{};
    void encode(Writer&) const;
    static GroupList decode(Reader&);
    bool operator==(const GroupList&) const = default;
};

struct GroupHeadItem {
    std::string group;
    uint64_t head = 0;  // the epoch of the group's newest record
    bool operator==(const GroupHeadItem&) const = default;
};

struct GroupListR {
    static constexpr uint8_t type = proto::reply_type(proto::GROUP_LIST);
    static constexpr int sigs = 1;
    uint8_t status = 0;
    std::string msg;
    Nonce nonce{};
    std::vector<GroupHeadItem> groups;  // sorted by group id
    void encode(Writer&) const;
    static GroupListR decode(Reader&);
    bool operator==(const GroupListR&) const = default;
};

}  // namespace tacit::msg
