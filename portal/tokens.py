"""Links that prove a person reads the mailbox of their account."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """A « confirmez votre adresse » token: valid once, until the address is confirmed."""

    key_salt = "portal.tokens.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.email}{user.email_confirmed_at}{timestamp}"


email_confirmation_token = EmailConfirmationTokenGenerator()


class StaffInvitationTokenGenerator(PasswordResetTokenGenerator):
    """An invitation to a collectivité's staff: single use (void once accepted), expiring
    after PASSWORD_RESET_TIMEOUT. Made for a Membership, not a user."""

    key_salt = "portal.tokens.StaffInvitationTokenGenerator"

    def _make_hash_value(self, member, timestamp):
        # Not the account's last login: an existing account keeps using the portal meanwhile.
        # Accepting sets accepted_at (single use); declining deletes the row.
        return f"{member.pk}{member.user_id}{member.role}{member.accepted_at}{timestamp}"


staff_invitation_token = StaffInvitationTokenGenerator()
