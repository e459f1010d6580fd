"""The knowledge base and public help centre (docs/knowledge.md): articles in sections in
categories, Spanish and English, searched, voted on, with their history."""
