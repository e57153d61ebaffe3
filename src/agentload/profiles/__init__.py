"""agentload.profiles"""
