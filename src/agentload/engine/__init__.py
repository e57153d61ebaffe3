"""agentload.engine"""
