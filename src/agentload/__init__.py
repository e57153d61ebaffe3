"""agentload"""
