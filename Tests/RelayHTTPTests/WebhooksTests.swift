import RelayClient
import RelayTLS
import XCTest
@testable import RelayHTTP

final class WebhooksTests: XCTestCase {
    private func hooks(_ edit: (inout Webhooks.Config) -> Void = { _ in }) -> Webhooks {
        var config = Webhooks.Config()
        edit(&config)
        return Webhooks(config: config, hmacSHA256: HMAC.sha256)
    }

    private func post(_ target: String, _ body: String, headers: [(name: String, value: String)] = []) -> HTTPRequest {
        HTTPRequest(method: "POST", target: target, headers: headers, body: Array(body.utf8))
    }

    func testTextLinesToTheRoomInThePath() {
        XCTAssertEqual(hooks().decide(post("/send/ops", "deploy done\r\n\nsecond line\n")),
                       .post(room: "#ops", lines: ["deploy done", "second line"], wait: false))
        XCTAssertEqual(hooks().decide(post("/send/%23ops?wait=1", "x")), .post(room: "#ops", lines: ["x"], wait: true))
    }

    func testJSONWithRoomAndText() {
        XCTAssertEqual(hooks().decide(post("/send", ##"{"room":"#dev","text":"hi"}"##, headers: [("Content-Type", "application/json")])),
                       .post(room: "#dev", lines: ["hi"], wait: false))
        XCTAssertEqual(hooks().decide(post("/send", #"{"text":"hi"}"#)),
                       .answer(HTTPResponse(404, "no room: POST to /send/ROOM, or give \"room\" in the JSON")))
        XCTAssertEqual(hooks().decide(post("/send/ops", #"{"nothing":1}"#)),
                       .answer(HTTPResponse(422, "a JSON body needs \"text\" (or is a GitHub, GitLab, Alertmanager or Grafana payload)")))
        guard case .answer(let bad) = hooks().decide(post("/send/ops", #"{"text": "#)) else { return XCTFail() }
        XCTAssertEqual(bad.status, 400)
    }

    func testHostileInputIsRefusedWithAReason() {
        XCTAssertEqual(hooks().decide(post("/send/a%20b", "x")), .answer(HTTPResponse(400, "#a b is not a room name")))
        XCTAssertEqual(hooks().decide(post("/send/ops", "\u{0}\r\n  \n")), .answer(HTTPResponse(400, "nothing to say: the text is empty")))
        XCTAssertEqual(hooks().decide(post("/send/ops", "a\u{0}b")), .post(room: "#ops", lines: ["a b"], wait: false))
    }

    func testManyLinesAreCapped() {
        let body = (1...30).map { "line \($0)" }.joined(separator: "\n")
        guard case .post(_, let lines, _) = hooks().decide(post("/send/ops", body)) else { return XCTFail() }
        XCTAssertEqual(lines.count, 10)
        XCTAssertEqual(lines.last, "… (21 more lines)")
    }

    func testMethodsAndPaths() {
        XCTAssertEqual(hooks().decide(HTTPRequest(method: "GET", target: "/")).status, 200)
        XCTAssertEqual(hooks().decide(HTTPRequest(method: "GET", target: "/send/ops")).status, 405)
        XCTAssertEqual(hooks().decide(post("/nope", "x")).status, 404)
        XCTAssertEqual(hooks().decide(post("/send/a/b", "x")).status, 404)
        XCTAssertEqual(hooks().decide(post("/send/%ff", "x")).status, 400)
        XCTAssertEqual(hooks().decide(HTTPRequest(method: "POST", target: "/send/ops", body: [0xff, 0xfe])),
                       .answer(HTTPResponse(400, "the body is not UTF-8")))
    }

    // MARK: Authentication

    func testBearerTokenAndGitLabToken() {
        let guarded = hooks { $0.token = "s3cret" }
        XCTAssertEqual(guarded.decide(post("/send/ops", "x")),
                       .answer(HTTPResponse(401, "missing or wrong token (Authorization: Bearer TOKEN)", headers: [("WWW-Authenticate", "Bearer")])))
        XCTAssertEqual(guarded.decide(post("/send/ops", "x", headers: [("Authorization", "Bearer wrong")])).status, 401)
        XCTAssertEqual(guarded.decide(post("/send/ops", "x", headers: [("Authorization", "Bearer s3cret")])).status, nil)
        XCTAssertEqual(guarded.decide(post("/send/ops", "x", headers: [("X-Gitlab-Token", "s3cret")])).status, nil)
    }

    /// GitHub's documented example: this secret and body give this signature.
    func testGitHubSignature() {
        let signed = hooks { $0.secret = "It's a Secret to Everybody" }
        let good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        XCTAssertEqual(signed.decide(post("/send/ops", "Hello, World!", headers: [("X-Hub-Signature-256", good)])),
                       .post(room: "#ops", lines: ["Hello, World!"], wait: false))
        XCTAssertEqual(signed.decide(post("/send/ops", "Hello, World?", headers: [("X-Hub-Signature-256", good)])),
                       .answer(HTTPResponse(401, "the signature (X-Hub-Signature-256) does not match the body")))
        XCTAssertEqual(signed.decide(post("/send/ops", "Hello, World!")),
                       .answer(HTTPResponse(401, "missing signature (X-Hub-Signature-256)")))
    }

    // MARK: Formats

    private func github(_ event: String, _ json: String) -> Webhooks.Decision {
        hooks().decide(post("/send/dev", json, headers: [("X-GitHub-Event", event), ("Content-Type", "application/json")]))
    }

    func testGitHubPush() {
        let commits = (1...5).map { #"{"id":"abcdef1234567\#($0)","message":"fix \#($0)\nbody","author":{"name":"Ana"}}"# }
        let json = #"{"ref":"refs/heads/main","compare":"https://gh/c","pusher":{"name":"ana"},"repository":{"full_name":"o/r"},"commits":[\#(commits.joined(separator: ","))]}"#
        XCTAssertEqual(github("push", json), .post(room: "#dev", lines: [
            "[o/r] ana pushed 5 commits to main: https://gh/c",
            "  abcdef1 fix 1 (Ana)", "  abcdef1 fix 2 (Ana)", "  abcdef1 fix 3 (Ana)", "  … and 2 more",
        ], wait: false))
        XCTAssertEqual(github("push", #"{"ref":"refs/tags/v1","compare":"u","pusher":{"name":"ana"},"repository":{"full_name":"o/r"},"commits":[]}"#),
                       .post(room: "#dev", lines: ["[o/r] ana pushed tag v1: u"], wait: false))
        XCTAssertEqual(github("push", #"{"ref":"refs/heads/x","deleted":true,"pusher":{"name":"ana"},"repository":{"full_name":"o/r"}}"#),
                       .post(room: "#dev", lines: ["[o/r] ana deleted branch x"], wait: false))
    }

    func testGitHubPullRequestIssueReleaseWorkflowAndPing() {
        let repo = #""repository":{"full_name":"o/r"},"sender":{"login":"bob"}"#
        XCTAssertEqual(github("pull_request", #"{"action":"closed",\#(repo),"pull_request":{"number":7,"title":"Add x","merged":true,"html_url":"u","base":{"ref":"main"},"head":{"ref":"x"}}}"#),
                       .post(room: "#dev", lines: ["[o/r] bob merged pull request #7: Add x (main ← x) u"], wait: false))
        XCTAssertEqual(github("pull_request", #"{"action":"labeled",\#(repo)}"#), .answer(HTTPResponse(200, "ignored: pull_request labeled")))
        XCTAssertEqual(github("issues", #"{"action":"opened",\#(repo),"issue":{"number":3,"title":"Bug","html_url":"u"}}"#),
                       .post(room: "#dev", lines: ["[o/r] bob opened issue #3: Bug u"], wait: false))
        XCTAssertEqual(github("release", #"{"action":"published",\#(repo),"release":{"tag_name":"v2","name":"Two","html_url":"u"}}"#),
                       .post(room: "#dev", lines: ["[o/r] bob published release v2 (Two): u"], wait: false))
        XCTAssertEqual(github("workflow_run", #"{"action":"completed",\#(repo),"workflow_run":{"name":"CI","conclusion":"failure","head_branch":"main","html_url":"u","head_commit":{"message":"fix\nmore"}}}"#),
                       .post(room: "#dev", lines: ["[o/r] workflow CI: failure on main (fix) u"], wait: false))
        XCTAssertEqual(github("ping", #"{"zen":"x"}"#), .answer(HTTPResponse(200, "ignored: pong")))
    }

    func testGitLab() {
        let json = #"{"object_kind":"merge_request","user":{"username":"cy"},"project":{"path_with_namespace":"g/p"},"object_attributes":{"iid":4,"title":"T","action":"merge","url":"u"}}"#
        XCTAssertEqual(hooks().decide(post("/send/dev", json, headers: [("X-Gitlab-Event", "Merge Request Hook")])),
                       .post(room: "#dev", lines: ["[g/p] cy merged merge request !4: T u"], wait: false))
        let push = #"{"ref":"refs/heads/main","after":"1a","user_username":"cy","user":{"username":"cy"},"project":{"path_with_namespace":"g/p","web_url":"w"},"total_commits_count":1,"commits":[{"id":"0123456789","title":"one","author":{"name":"Cy"}}]}"#
        XCTAssertEqual(hooks().decide(post("/send/dev", push, headers: [("X-Gitlab-Event", "Push Hook")])),
                       .post(room: "#dev", lines: ["[g/p] cy pushed 1 commit to main: w", "  01234567 one (Cy)"], wait: false))
    }

    func testAlertmanagerGroupedAndSingle() {
        let one = #"{"status":"firing","groupLabels":{"alertname":"Disk"},"commonLabels":{"alertname":"Disk","job":"node"},"alerts":[{"status":"firing","labels":{"alertname":"Disk","job":"node","instance":"a"},"annotations":{"summary":"disk 95% full"}}]}"#
        XCTAssertEqual(hooks().decide(post("/send/alerts", one)),
                       .post(room: "#alerts", lines: ["[FIRING] Disk (instance=a, job=node): disk 95% full"], wait: false))
        let group = #"{"status":"firing","groupLabels":{"alertname":"Down"},"commonLabels":{"alertname":"Down","job":"api"},"commonAnnotations":{},"alerts":[{"status":"firing","labels":{"alertname":"Down","job":"api","instance":"a"},"annotations":{"summary":"a is down"}},{"status":"resolved","labels":{"alertname":"Down","job":"api","instance":"b"},"annotations":{"summary":"b is down"}}]}"#
        XCTAssertEqual(hooks().decide(post("/send/alerts", group)), .post(room: "#alerts", lines: [
            "[FIRING:1, RESOLVED:1] Down (job=api)", "  firing (instance=a): a is down", "  resolved (instance=b): b is down",
        ], wait: false))
    }

    func testGrafanaLegacy() {
        let json = #"{"title":"[Alerting] CPU","ruleName":"CPU","state":"alerting","message":"too hot","ruleUrl":"http://g/d"}"#
        XCTAssertEqual(hooks().decide(post("/send/alerts", json)),
                       .post(room: "#alerts", lines: ["[alerting] [Alerting] CPU: too hot http://g/d"], wait: false))
    }

    func testTemplate() throws {
        let template = try WebhookTemplate.parse("deploy={app.name} {version} by {user} ({missing})")
        let decision = hooks { $0.templates = [template] }.decide(post("/hook/deploy/ops", #"{"app":{"name":"web"},"version":3,"user":"ana"}"#))
        XCTAssertEqual(decision, .post(room: "#ops", lines: ["web 3 by ana ()"], wait: false))
        XCTAssertEqual(hooks().decide(post("/hook/nope/ops", "{}")).status, 404)
        XCTAssertThrowsError(try WebhookTemplate.parse("x={a"))
        XCTAssertThrowsError(try WebhookTemplate.parse("a b=x"))
        XCTAssertThrowsError(try WebhookTemplate.parse("noequals"))
    }

    func testGitHubFormEncodedPayload() {
        let form = "payload=" + #"{"zen":"x"}"#.addingPercentEscapes
        XCTAssertEqual(hooks().decide(post("/send/dev", form, headers: [("X-GitHub-Event", "ping"),
                                                                          ("Content-Type", "application/x-www-form-urlencoded")])),
                       .answer(HTTPResponse(200, "ignored: pong")))
    }
}

extension Webhooks.Decision {
    /// The answer's status; nil for lines to post.
    var status: Int? {
        if case .answer(let response) = self { return response.status }
        return nil
    }
}

extension String {
    var addingPercentEscapes: String {
        utf8.map { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: true).leftPadded
        }.joined()
    }

    var leftPadded: String { count == 1 ? "0" + self : self }
}

final class WebhookTallyTests: XCTestCase {
    func testQueuedAnswersOnceEveryLineIsSubmitted() {
        var tally = WebhookTally(room: "#ops", lines: 2, wait: false)
        XCTAssertNil(tally.submittedOne())
        XCTAssertEqual(tally.submittedOne(), HTTPResponse(202, "queued 2 lines for #ops"))
        XCTAssertNil(tally.reply("ok"))
    }

    func testAnImmediateRefusalIsTheAnswer() {
        var tally = WebhookTally(room: "#ops", lines: 1, wait: false)
        XCTAssertEqual(tally.reply("error busy: 1000 lines are waiting; try later"),
                       HTTPResponse(503, "busy: 1000 lines are waiting; try later", headers: [("Retry-After", "5")]))
        XCTAssertNil(tally.submittedOne())
    }

    func testWaitAnswersOnConfirmationOrTheFirstError() {
        var tally = WebhookTally(room: "#ops", lines: 2, wait: true)
        XCTAssertNil(tally.submittedOne())
        XCTAssertNil(tally.submittedOne())
        XCTAssertNil(tally.reply("queued: sent, not confirmed by the server yet"))
        XCTAssertNil(tally.reply("ok"))
        XCTAssertEqual(tally.reply("ok"), HTTPResponse(200, "delivered 2 lines to #ops"))

        var refused = WebhookTally(room: "#ops", lines: 2, wait: true)
        XCTAssertEqual(refused.reply("error 404 Cannot send to channel"), HTTPResponse(502, "404 Cannot send to channel"))
        XCTAssertNil(refused.reply("ok"))

        var late = WebhookTally(room: "#ops", lines: 1, wait: true)
        XCTAssertEqual(late.reply("error the server was not reachable within 30 s")?.status, 504)
        var slow = WebhookTally(room: "#ops", lines: 1, wait: true)
        XCTAssertEqual(slow.timedOut(after: 30)?.status, 202)
    }
}
