"""The ceiling: a bare Flask app returning a fixed string, served by the same gunicorn."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    """A fixed string: what the framework and the server cost, and nothing else."""
    return "Hello from bare Flask"
