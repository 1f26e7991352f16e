import RelayClient

/// GitHub's webhook events (`X-GitHub-Event`) as chat lines, in the style of
/// GitHub's own IRC notifications: `[owner/repo] ana pushed 2 commits to main: URL`.
enum GitHubEvents {
    /// Commits listed under a push; the rest are counted.
    static let commitsShown = 3

    static func lines(event: String, _ payload: JSONValue) -> WebhookLines {
        let repo = "[\(payload.string("repository.full_name"))]"
        let sender = payload.string("sender.login")
        let action = payload.string("action")
        switch event {
        case "ping":
            return .ignored("pong")
        case "push":
            return push(repo, payload)
        case "pull_request":
            guard ["opened", "closed", "reopened", "ready_for_review"].contains(action) else { return .ignored("pull_request \(action)") }
            let merged = action == "closed" && payload[path: "pull_request.merged"] == .bool(true)
            let verb = merged ? "merged" : action == "ready_for_review" ? "marked ready for review" : action
            let number = payload.string("pull_request.number")
            return .say(["\(repo) \(sender) \(verb) pull request #\(number): \(payload.string("pull_request.title"))"
                         + " (\(payload.string("pull_request.base.ref")) ← \(payload.string("pull_request.head.ref")))"
                         + " \(payload.string("pull_request.html_url"))"])
        case "issues":
            guard ["opened", "closed", "reopened"].contains(action) else { return .ignored("issues \(action)") }
            return .say(["\(repo) \(sender) \(action) issue #\(payload.string("issue.number")): \(payload.string("issue.title"))"
                         + " \(payload.string("issue.html_url"))"])
        case "release":
            guard action == "published" else { return .ignored("release \(action)") }
            let tag = payload.string("release.tag_name"), name = payload.string("release.name")
            return .say(["\(repo) \(sender) published release \(tag)\(name.isEmpty || name == tag ? "" : " (\(name))"):"
                         + " \(payload.string("release.html_url"))"])
        case "workflow_run":
            guard action == "completed" else { return .ignored("workflow_run \(action)") }
            return .say(["\(repo) workflow \(payload.string("workflow_run.name")): \(payload.string("workflow_run.conclusion"))"
                         + " on \(payload.string("workflow_run.head_branch")) (\(payload.string("workflow_run.head_commit.message").firstLine))"
                         + " \(payload.string("workflow_run.html_url"))"])
        default:
            return .ignored("github event \(event)")
        }
    }

    private static func push(_ repo: String, _ payload: JSONValue) -> WebhookLines {
        let pusher = payload.string("pusher.name")
        let ref = payload.string("ref")
        let isTag = ref.hasPrefix("refs/tags/")
        let name = String(ref.dropFirst(isTag ? 10 : ref.hasPrefix("refs/heads/") ? 11 : 0))
        let kind = isTag ? "tag" : "branch"
        if payload[path: "deleted"] == .bool(true) { return .say(["\(repo) \(pusher) deleted \(kind) \(name)"]) }
        let commits = payload.array("commits")
        if isTag { return .say(["\(repo) \(pusher) pushed tag \(name): \(payload.string("compare"))"]) }
        if commits.isEmpty {
            let created = payload[path: "created"] == .bool(true)
            return .say(["\(repo) \(pusher) \(created ? "created branch" : "pushed to") \(name): \(payload.string("compare"))"])
        }
        var lines = ["\(repo) \(pusher) pushed \(commits.count) commit\(commits.count == 1 ? "" : "s") to \(name): \(payload.string("compare"))"]
        for commit in commits.prefix(commitsShown) {
            lines.append("  \(commit.string("id").prefix(7)) \(commit.string("message").firstLine) (\(commit.string("author.name")))")
        }
        if commits.count > commitsShown { lines.append("  … and \(commits.count - commitsShown) more") }
        return .say(lines)
    }
}

extension String {
    /// The first line (a commit message's subject).
    var firstLine: String { String(prefix { $0 != "\n" && $0 != "\r" }) }
}
