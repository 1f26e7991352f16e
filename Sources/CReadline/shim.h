// GNU readline for the interactive client (Debian: libreadline-dev; macOS: brew
// install readline, whose pkg-config file is found with PKG_CONFIG_PATH).
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>
