import RelayClient

extension JSONValue {
    /// The value at a dotted path ("repository.full_name", "commits.0.id"); nil
    /// where the path leads nowhere.
    public subscript(path path: String) -> JSONValue? {
        var value: JSONValue? = self
        for key in path.split(separator: ".") {
            switch value {
            case .object(let members)?: value = members[String(key)]
            case .array(let items)?: value = Int(key).flatMap { items.indices.contains($0) ? items[$0] : nil }
            default: return nil
            }
        }
        return value
    }

    /// A string, or a number or bool written as text (for templates and labels);
    /// nil for null, objects and arrays.
    public var text: String? {
        switch self {
        case .string(let text): return text
        case .number(let number):
            return number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): return flag ? "true" : "false"
        default: return nil
        }
    }

    /// The text at `path`, or "" (a payload missing a field still makes a line).
    public func string(_ path: String) -> String { self[path: path]?.text ?? "" }

    public func array(_ path: String) -> [JSONValue] {
        if case .array(let items)? = self[path: path] { return items }
        return []
    }

    public func object(_ path: String) -> [String: JSONValue] {
        if case .object(let members)? = self[path: path] { return members }
        return [:]
    }
}
