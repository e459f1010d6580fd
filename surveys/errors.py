"""Why a survey answer was refused. Views and the API map them to 404 / 410 / 409 / 400."""


class SurveyError(Exception):
    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class InvitationNotFound(SurveyError):
    """Unknown, malformed or withdrawn-before-sending token: say nothing more."""


class SurveyExpired(SurveyError):
    pass


class AlreadyAnswered(SurveyError):
    pass


class InvalidAnswer(SurveyError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class FollowUpError(SurveyError):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field
