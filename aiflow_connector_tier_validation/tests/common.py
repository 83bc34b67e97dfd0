# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Fixtures shared by the bridge's tests: the steps a user takes on a
document under tier validation."""

# Neither UTC nor the server's zone (UTC here) nor the default (Asia/Shanghai).
ZONE = "America/New_York"


class TierValidationSteps:
    """Mixin for test cases: end a step as a request would, and decide a
    tier as a reviewer does, through the comment wizard."""

    def settle(self):
        """Written, and nothing kept in the cache (tier validation's computed
        flags have no dependencies)."""
        self.env.flush_all()
        self.env.invalidate_all()

    def decide(self, document, user, decision, comment):
        """Approve (``validate``) or reject (``reject``) ``document`` as ``user``."""
        document = document.with_user(user)
        action = document.validate_tier() if decision == "validate" else document.reject_tier()
        self.assertEqual(action["res_model"], "comment.wizard")
        wizard = (
            self.env["comment.wizard"]
            .with_user(user)
            .with_context(**action["context"])
            .create({"comment": comment})
        )
        wizard.add_comment()
        self.settle()
