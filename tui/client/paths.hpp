// Where the client keeps things (XDG base directories), and the rule that
// they are private: keys, pinned server keys and history never go where
// another user could read, replace or plant them (tacit(1) FILES).
#pragma once
#include <string>

namespace tacit::client {

// $XDG_DATA_HOME/tacit or ~/.local/share/tacit. Throws when neither
// XDG_DATA_HOME nor HOME is an absolute path: there is no shared fallback.
std::string data_home();
// $XDG_CONFIG_HOME/tacit or ~/.config/tacit; "" when neither is set (no config).
std::string config_home();
// mkdir -p with the given mode for each created component.
void make_dirs(const std::string& path, unsigned mode = 0700);

// Why dir is not private, or "" if it is: dir must be a real directory (not
// a symlink) owned by us and not writable by group or others; each directory
// above it must be owned by us or root and not writable by group or others
// unless sticky (/tmp), as OpenSSH asks of ~/.ssh.
std::string why_not_private(const std::string& dir);
// Creates dir (mode 0700) if missing and returns it; throws with the reason
// if it is not private.
std::string private_data_dir(const std::string& dir);

}  // namespace tacit::client
