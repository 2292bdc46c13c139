#pragma once

#include <string>
#include <string_view>

// HTML text for the hub's web page: escaping, URL parameters, and the frame every page
// shares. Pure: strings in, strings out. Every string a record carries is hostile, so it
// reaches HTML only through Escape and a URL only through UrlEncode.
namespace ldgs::daemon::web {

// `text` safe as HTML text and inside a double- or single-quoted attribute: & < > " ' become
// entities, and control characters other than \n (C0, DEL, and C1 as UTF-8) become visible
// "\u001b"-style escapes, as ldgsctl shows them. Other bytes pass unchanged.
std::string Escape(std::string_view text);

// `text` as one URL query parameter name or value: every byte but A-Z a-z 0-9 - . _ ~ as
// %XX (a space as %20). The result still goes through Escape inside an attribute (for &).
std::string UrlEncode(std::string_view text);

struct PageFrame {
  std::string title;           // of this page, e.g. "Practices"
  std::string hub_name;        // this node's name, from its profile
  bool operator_view = false;  // the operator is logged in: hub-only data may be on the page
  bool chapter_node = false;   // a chapter (not a hub): the operator view links /standing
  // The nav entry to mark current: "overview", "practices", "stories", "data", "operator",
  // "standing" or "login"; anything else marks none.
  std::string active;
};

// A whole HTML5 document around `body_html` (already safe HTML): viewport for phones,
// inline CSS only (no scripts, no external files), a nav bar for the view, and a footer
// saying which view it is. The body's class is "view-public" or "view-operator".
std::string Page(const PageFrame& frame, std::string_view body_html);

}  // namespace ldgs::daemon::web
