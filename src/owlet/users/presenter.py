"""Turn `user` rows into wire models (profile image fallback, activity)."""

from __future__ import annotations

from owlet.core.clock import now
from owlet.tables import User
from owlet.users.schemas import UserModel

ACTIVE_WINDOW_SECONDS = 180


def profile_image_route(user_id: str) -> str:
    return f"/api/v1/users/{user_id}/profile/image"


def to_user_model(user: User) -> UserModel:
    model = UserModel.model_validate(user)
    if not model.profile_image_url:
        model.profile_image_url = profile_image_route(user.id)
    return model


def is_active(user: User) -> bool:
    return now() - (user.last_active_at or 0) <= ACTIVE_WINDOW_SECONDS
