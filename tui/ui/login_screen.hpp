// The screens before the conversation view: pinning an unknown server's
// key, and the register-or-login form.
#pragma once
#include <string>

#include "tui/client/client.hpp"
#include "tui/client/config.hpp"
#include "tui/ui/terminal.hpp"

namespace tacit::ui {

// First contact with a server that is not pinned: shows its fingerprint
// and asks. Used as client::Options::confirm_new_server.
bool confirm_server(Terminal& t, const std::string& server, const std::string& fingerprint);

// How the screens before the conversation view ended: tacit(1) EXIT STATUS
// tells a user who quit the form (0) from one who could not get in (1).
enum class LoginOutcome { LoggedIn, Quit, NoServer, KeyChanged, KeyDeclined };

// Connects (the user may retry) and runs the form until logged in.
// key_declined is set by the confirm_server callback when the user says no.
LoginOutcome run_login(Terminal& t, client::Client& c, const client::Options& opt, const client::Config& cfg,
                       const bool& key_declined);

}  // namespace tacit::ui
