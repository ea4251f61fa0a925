"""Flask extensions, created unbound and initialised in create_app."""
from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from records.models import Base

db = SQLAlchemy(model_class=Base)   # the very same models the controller and worker use
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
