// nodejs/http-parser (Debian's libhttp-parser-dev), with inline copies of what
// Swift cannot reach: the errno macro and the bit fields it reads.
#include <http_parser.h>

static inline int relay_http_errno(const http_parser *parser) { return (int)HTTP_PARSER_ERRNO(parser); }
static inline int relay_http_method(const http_parser *parser) { return (int)parser->method; }
static inline uint64_t relay_http_content_length(const http_parser *parser) { return parser->content_length; }
static inline int relay_http_upgrade(const http_parser *parser) { return (int)parser->upgrade; }
