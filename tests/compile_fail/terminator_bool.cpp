// expect: terminator
#include <asynchat/terminator.hpp>

int main() {
    asynchat::terminator t = true;  // neither a string nor a count
    (void)t;
}
