// chat_server: the classic asynchat chat room. Each client first picks a
// nickname; then every line it sends is broadcast to everyone in the room.
//
//   /who          list who is here
//   /nick NAME    change nickname
//   /quit         leave
//
// Try it, in two or three terminals:
//   ./chat_server --port 7070
//   nc 127.0.0.1 7070        (type a nickname, then chat)
//
// Limits: a line is at most 4 KiB (longer: a goodbye and the connection
// closes). What a member's own lines cause to be sent to it (replies to
// /who, its messages as the room repeats them) is held back by
// backpressure: once 64 KiB wait for it, the member is no longer read
// (set_output_high_water) until it reads, so a member that sends without
// reading is stopped by TCP's flow control, loses nothing, and can flood
// the room no faster than it reads. What the rest of the room sends it
// cannot be paced that way (the room does not wait for one member): beyond
// 1 MiB the member is disconnected (set_output_limit). The server holds at
// most about 1 MiB per member.
//
// What it shows: many channels sharing state (the room), pushing to other
// channels from inside a hook, close_when_done, handle_close to leave the
// room however a connection ends, set_output_high_water for what a member
// causes itself, and set_output_limit: a member that stops reading is
// disconnected (with a line to the room) instead of making the server hold
// everything the room says for it.
#include "../common/serve.hpp"

#include <asynchat/asynchat.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

class chat_channel;

// Who is in the room. Lives as long as the server; channels hold it by shared_ptr.
class room {
public:
    bool join(const std::string& nick, const std::shared_ptr<chat_channel>& member) {
        return members_.emplace(nick, member).second;
    }
    void leave(const std::string& nick) { members_.erase(nick); }
    bool rename(const std::string& from, const std::string& to) {
        if (members_.count(to)) return false;
        auto node = members_.extract(from);
        node.key() = to;
        members_.insert(std::move(node));
        return true;
    }
    void broadcast(const std::string& line);
    std::string who() const {
        std::string names;
        for (const auto& m : members_) names += (names.empty() ? "" : ", ") + m.first;
        return names;
    }

private:
    std::map<std::string, std::weak_ptr<chat_channel>> members_;
};

class chat_channel : public asynchat::async_chat<chat_channel> {
public:
    // The most a member may fall behind the room, beyond the kernel's buffers.
    static constexpr std::size_t max_backlog = 1 << 20;
    // Queued output beyond this pauses reading the member (checked after each
    // of its lines): what its own lines cause stays below max_backlog.
    static constexpr std::size_t max_queued = 64 * 1024;

    chat_channel(asio::ip::tcp::socket socket, std::shared_ptr<room> r)
        : async_chat(std::move(socket)), room_(std::move(r)) {
        set_terminator("\n");
        set_output_limit(max_backlog);
        set_output_high_water(max_queued);
        push("Welcome to the chat room. Your nickname?\r\n");  // sent once started
    }

    void collect_incoming_data(std::string_view data) {
        if (line_.size() + data.size() > max_line) {
            push("* line too long, goodbye\r\n");
            close_when_done();
            return;
        }
        line_.append(data);
    }

    void found_terminator() {
        std::string line = std::exchange(line_, {});
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (nick_.empty()) return choose_nick(line);
        if (line == "/quit") {
            push("* bye\r\n");
            close_when_done();
        } else if (line == "/who") {
            push("* here: " + room_->who() + "\r\n");
        } else if (line.rfind("/nick ", 0) == 0) {
            const std::string to = line.substr(6);
            if (to.empty() || !room_->rename(nick_, to)) {
                push("* that nickname is taken\r\n");
            } else {
                room_->broadcast("* " + nick_ + " is now known as " + to);
                nick_ = to;
            }
        } else if (!line.empty()) {
            room_->broadcast(nick_ + ": " + line);
        }
    }

    // However the connection ends (EOF, reset, /quit), leave the room.
    void handle_close() {
        leave_room(" has left");
        close();
    }

    // The member stopped reading and the room got max_backlog ahead of it.
    void handle_output_overflow() {
        leave_room(" was disconnected: not reading");
        close();
    }

private:
    void leave_room(const char* why) {
        if (nick_.empty()) return;
        const std::string nick = std::exchange(nick_, {});
        room_->leave(nick);
        room_->broadcast("* " + nick + why);
    }

    void choose_nick(const std::string& nick) {
        if (nick.empty() || nick.size() > 32 || !room_->join(nick, shared_from_this())) {
            push("* that nickname is taken or invalid; another?\r\n");
            return;
        }
        nick_ = nick;
        room_->broadcast("* " + nick_ + " has joined");
        push("* you are " + nick_ + "; /who, /nick NAME, /quit\r\n");
    }

    static constexpr std::size_t max_line = 4096;
    std::shared_ptr<room> room_;
    std::string nick_;
    std::string line_;
};

void room::broadcast(const std::string& line) {
    // A push may make a member leave (handle_output_overflow): iterate over
    // a copy of the room.
    std::vector<std::shared_ptr<chat_channel>> members;
    members.reserve(members_.size());
    for (const auto& m : members_)
        if (auto member = m.second.lock()) members.push_back(std::move(member));
    const std::string bytes = line + "\r\n";
    for (const auto& member : members) member->push(bytes);
}

int main(int argc, char** argv) {
    return examples::serve<chat_channel>("chat_server", 7070, argc, argv, std::make_shared<room>());
}
