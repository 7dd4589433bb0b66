"""Real-time: the Socket.IO server at `/ws/socket.io`, the emitter services send events
through, and the chat generations the server owns ("UI mode")."""
