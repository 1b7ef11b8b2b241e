-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "GuildSettings" (
    "guildId" TEXT NOT NULL,
    "enabledChannelIds" JSONB NOT NULL,
    "moderatorRoleId" TEXT,
    "autoClassify" BOOLEAN NOT NULL DEFAULT true,
    "classifyPerUserPerMin" INTEGER,
    "classifyPerGuildPerMin" INTEGER,
    "labelPerUserPerMin" INTEGER,
    "labelPerGuildPerMin" INTEGER,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GuildSettings_pkey" PRIMARY KEY ("guildId")
);

-- CreateTable
CREATE TABLE "Image" (
    "id" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "format" TEXT NOT NULL,
    "byteSize" INTEGER NOT NULL,
    "firstSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Image_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Embedding" (
    "imageId" TEXT NOT NULL,
    "backboneId" TEXT NOT NULL,
    "dim" INTEGER NOT NULL,
    "vector" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Embedding_pkey" PRIMARY KEY ("imageId","backboneId")
);

-- CreateTable
CREATE TABLE "Prediction" (
    "id" TEXT NOT NULL,
    "sourceKey" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "guildId" TEXT,
    "channelId" TEXT NOT NULL,
    "messageId" TEXT,
    "interactionId" TEXT,
    "attachmentIndex" INTEGER NOT NULL DEFAULT 0,
    "replyMessageId" TEXT,
    "userId" TEXT,
    "modelVersion" TEXT NOT NULL,
    "backboneId" TEXT NOT NULL,
    "isDog" BOOLEAN NOT NULL,
    "dogProbability" DOUBLE PRECISION NOT NULL,
    "topBreed" TEXT NOT NULL,
    "top5" JSONB NOT NULL,
    "lookslike" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Prediction_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Breed" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "aliases" JSONB NOT NULL,
    "origin" TEXT NOT NULL,
    "createdBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Breed_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Label" (
    "id" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "breedId" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "guildId" TEXT,
    "predictionId" TEXT,
    "modelVersion" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Label_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ModelVersion" (
    "id" TEXT NOT NULL,
    "parentId" TEXT,
    "backboneId" TEXT,
    "status" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "metrics" JSONB,
    "reason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "activatedAt" TIMESTAMP(3),

    CONSTRAINT "ModelVersion_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Image_sha256_key" ON "Image"("sha256");

-- CreateIndex
CREATE INDEX "Embedding_backboneId_idx" ON "Embedding"("backboneId");

-- CreateIndex
CREATE UNIQUE INDEX "Prediction_sourceKey_key" ON "Prediction"("sourceKey");

-- CreateIndex
CREATE INDEX "Prediction_imageId_idx" ON "Prediction"("imageId");

-- CreateIndex
CREATE INDEX "Prediction_messageId_idx" ON "Prediction"("messageId");

-- CreateIndex
CREATE INDEX "Prediction_replyMessageId_idx" ON "Prediction"("replyMessageId");

-- CreateIndex
CREATE INDEX "Prediction_guildId_channelId_createdAt_idx" ON "Prediction"("guildId", "channelId", "createdAt");

-- CreateIndex
CREATE INDEX "Prediction_userId_idx" ON "Prediction"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "Breed_name_key" ON "Breed"("name");

-- CreateIndex
CREATE INDEX "Label_userId_idx" ON "Label"("userId");

-- CreateIndex
CREATE INDEX "Label_breedId_idx" ON "Label"("breedId");

-- CreateIndex
CREATE INDEX "Label_guildId_idx" ON "Label"("guildId");

-- CreateIndex
CREATE INDEX "Label_updatedAt_idx" ON "Label"("updatedAt");

-- CreateIndex
CREATE UNIQUE INDEX "Label_imageId_userId_key" ON "Label"("imageId", "userId");

-- CreateIndex
CREATE INDEX "ModelVersion_status_idx" ON "ModelVersion"("status");

-- CreateIndex
CREATE INDEX "ModelVersion_createdAt_idx" ON "ModelVersion"("createdAt");

-- AddForeignKey
ALTER TABLE "Embedding" ADD CONSTRAINT "Embedding_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Prediction" ADD CONSTRAINT "Prediction_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Label" ADD CONSTRAINT "Label_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Label" ADD CONSTRAINT "Label_breedId_fkey" FOREIGN KEY ("breedId") REFERENCES "Breed"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Label" ADD CONSTRAINT "Label_predictionId_fkey" FOREIGN KEY ("predictionId") REFERENCES "Prediction"("id") ON DELETE SET NULL ON UPDATE CASCADE;
