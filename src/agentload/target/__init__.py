"""agentload.target"""
