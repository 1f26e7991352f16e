import RelayClient

/// GitLab's webhook events (`X-Gitlab-Event`), worded like GitHub's.
enum GitLabEvents {
    static func lines(event: String, _ payload: JSONValue) -> WebhookLines {
        let repo = "[\(payload.string("project.path_with_namespace"))]"
        let user = payload.string("user.username").isEmpty ? payload.string("user_name") : payload.string("user.username")
        switch event {
        case "Push Hook":
            let branch = payload.string("ref").replacing("refs/heads/", with: "")
            let commits = payload.array("commits")
            let count = Int(payload.string("total_commits_count")) ?? commits.count
            if payload.string("after").allSatisfy({ $0 == "0" }) { return .say(["\(repo) \(user) deleted branch \(branch)"]) }
            var lines = ["\(repo) \(user) pushed \(count) commit\(count == 1 ? "" : "s") to \(branch): \(payload.string("project.web_url"))"]
            for commit in commits.prefix(GitHubEvents.commitsShown) {
                lines.append("  \(commit.string("id").prefix(8)) \(commit.string("title").isEmpty ? commit.string("message").firstLine : commit.string("title")) (\(commit.string("author.name")))")
            }
            if count > GitHubEvents.commitsShown { lines.append("  … and \(count - GitHubEvents.commitsShown) more") }
            return .say(lines)
        case "Tag Push Hook":
            let tag = payload.string("ref").replacing("refs/tags/", with: "")
            return .say(["\(repo) \(user) pushed tag \(tag): \(payload.string("project.web_url"))/-/tags/\(tag)"])
        case "Merge Request Hook", "Issue Hook":
            let attributes = "object_attributes"
            let action = payload.string("\(attributes).action")
            let verbs = ["open": "opened", "close": "closed", "reopen": "reopened", "merge": "merged"]
            guard let verb = verbs[action] else { return .ignored("\(event) \(action)") }
            let what = event == "Issue Hook" ? "issue #" : "merge request !"
            return .say(["\(repo) \(user) \(verb) \(what)\(payload.string("\(attributes).iid")): \(payload.string("\(attributes).title"))"
                         + " \(payload.string("\(attributes).url"))"])
        case "Pipeline Hook":
            let status = payload.string("object_attributes.status")
            guard ["success", "failed", "canceled"].contains(status) else { return .ignored("pipeline \(status)") }
            return .say(["\(repo) pipeline #\(payload.string("object_attributes.id")): \(status) on \(payload.string("object_attributes.ref"))"
                         + " (\(user)) \(payload.string("project.web_url"))/-/pipelines/\(payload.string("object_attributes.id"))"])
        default:
            return .ignored("gitlab event \(event)")
        }
    }
}
