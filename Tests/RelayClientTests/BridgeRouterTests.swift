import RelayClient
import XCTest

final class BridgeRouterTests: XCTestCase {
    private let router = BridgeRouter(rooms: [["#dev"], ["#dev", "#ops"], ["#all"]])

    func testALineGoesToEveryOtherBridgedRoom() {
        let out = router.route(ChatLine(room: "#DEV", nick: "ana", text: "hi", kind: .message), from: 1, bridgeNicks: ["relay"])
        XCTAssertEqual(out, [
            .init(endpoint: 0, room: "#dev", text: "<ana> hi", kind: .message),
            .init(endpoint: 1, room: "#ops", text: "<ana> hi", kind: .message),
            .init(endpoint: 2, room: "#all", text: "<ana> hi", kind: .message),
        ])
    }

    func testActionsKeepTheirForm() {
        let out = router.route(ChatLine(room: "#dev", nick: "ana", text: "waves", kind: .action), from: 0, bridgeNicks: [])
        XCTAssertEqual(out.map(\.text), ["* ana waves", "* ana waves", "* ana waves"])
    }

    func testTheBridgesOwnLinesNoticesAndPrivateMessagesAreNotRelayed() {
        XCTAssertEqual(router.route(ChatLine(room: "#dev", nick: "Relay", text: "<ana> hi", kind: .message), from: 0,
                                    bridgeNicks: ["relay", "relay_"]), [])
        XCTAssertEqual(router.route(ChatLine(room: "#dev", nick: "srv", text: "x", kind: .notice), from: 0, bridgeNicks: []), [])
        XCTAssertEqual(router.route(ChatLine(room: nil, nick: "ana", text: "psst", kind: .message), from: 0, bridgeNicks: []), [])
    }
}
