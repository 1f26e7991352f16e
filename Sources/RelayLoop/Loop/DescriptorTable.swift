/// Something per open descriptor, indexed by the descriptor itself: they are
/// small and dense, so an array entry (grown by doubling) costs a few bytes
/// where a dictionary entry costs tens — and there is one per connection.
/// Reading past the end gives `empty`.
public struct DescriptorTable<Element> {
    private var slots: [Element] = []
    private let empty: Element

    public init(empty: Element) {
        self.empty = empty
    }

    public subscript(fd: Int32) -> Element {
        get { Int(fd) < slots.count ? slots[Int(fd)] : empty }
        set {
            let index = Int(fd)
            if index >= slots.count {
                slots += Array(repeating: empty, count: max(index + 1, slots.count * 2, 64) - slots.count)
            }
            slots[index] = newValue
        }
    }

    /// Every slot, empty ones included.
    public var all: [Element] { slots }
}
