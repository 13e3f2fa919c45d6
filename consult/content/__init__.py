"""Public content: home page, articles, speaker bio, talks, inquiries, feeds."""
